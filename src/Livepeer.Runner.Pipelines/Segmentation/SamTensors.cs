using Livepeer.Runner.Core.Errors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>Input tensors in the element type each graph declares (labels are f32, i32 or i64 depending on the exporter).</summary>
internal static class SamTensors
{
    public static bool IsSupported(NodeMetadata input) =>
        input.IsTensor && input.ElementDataType is TensorElementType.Float or TensorElementType.Int32 or TensorElementType.Int64;

    public static OrtValue Create(NodeMetadata input, float[] values, long[] shape)
    {
        if (values.Length == 0)
        {
            // A zero-length axis (no points): nothing to pin, so let ONNX Runtime allocate the empty tensor.
            return OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, input.ElementDataType, shape);
        }

        return input.ElementDataType switch
        {
            TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(values, shape),
            TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (int)v), shape),
            TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (long)v), shape),
            var other => throw new InvalidOperationException($"Unsupported input element type {other}."),
        };
    }

    /// <summary>Reads a float output, checking its rank.</summary>
    public static (float[] Data, long[] Shape) ReadFloat(OrtValue value, string name, int rank)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.ElementDataType != TensorElementType.Float || info.Shape.Length != rank)
            throw new InferenceException($"The segmentation graph's output {name} is {info.ElementDataType} of shape [{string.Join(",", info.Shape)}], expected a rank-{rank} float tensor.");
        return (value.GetTensorDataAsSpan<float>().ToArray(), info.Shape);
    }
}
