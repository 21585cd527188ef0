using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Onnx;

/// <summary>
/// A float32 host buffer paired with the <see cref="OrtValue"/> a graph reads or writes. The host always works in float32
/// (schedulers, guidance, image conversion); the graph's tensor is float32 (then both are the same memory and nothing is
/// copied), float16, as in fp16 exports (optimum <c>--dtype fp16</c>: every float input and output, MODEL-FORMATS
/// §1.3), converted with vectorised <see cref="TensorPrimitives"/> at the boundary, or bfloat16 (bf16 exports of Flux and
/// SD3), converted by <see cref="BFloat16Bits"/>.
/// </summary>
public sealed class FloatTensor : IDisposable
{
    /// <param name="graphType">The graph's element type for this tensor: <see cref="float"/>, <see cref="Float16"/> or <see cref="BFloat16"/>.</param>
    public FloatTensor(long[] shape, Type graphType)
    {
        CheckFloat(graphType);
        Host = new float[shape.Aggregate(1L, (size, axis) => size * axis)];
        IsHalf = graphType != typeof(float);
        Value = IsHalf ? NewNarrow(shape, graphType) : OrtValue.CreateTensorValueFromMemory(Host, shape);
    }

    public float[] Host { get; }

    public OrtValue Value { get; }

    /// <summary>Whether <see cref="Value"/> is a float16 or bfloat16 copy of <see cref="Host"/> rather than the same memory.</summary>
    public bool IsHalf { get; }

    /// <summary>Makes <see cref="Value"/> hold what <see cref="Host"/> holds (before binding or running it as an input).</summary>
    public void HostToValue()
    {
        if (IsHalf)
            WriteNarrow(Host, Value);
    }

    /// <summary>Makes <see cref="Host"/> hold what <see cref="Value"/> holds (after a run wrote it as an output).</summary>
    public void ValueToHost()
    {
        if (IsHalf)
            Read(Value, 0, Host);
    }

    /// <summary>
    /// An input value for a one-off run: <paramref name="data"/> itself for a float32 graph tensor, a float16 or bfloat16
    /// copy for a narrower one.
    /// </summary>
    public static OrtValue Input(float[] data, long[] shape, Type graphType)
    {
        CheckFloat(graphType);
        if (graphType == typeof(float))
            return OrtValue.CreateTensorValueFromMemory(data, shape);
        var value = NewNarrow(shape, graphType);
        WriteNarrow(data, value);
        return value;
    }

    /// <summary>Copies <paramref name="destination"/>.Length elements of a float32, float16 or bfloat16 output from <paramref name="offset"/> on, as float32.</summary>
    public static void Read(OrtValue value, int offset, Span<float> destination)
    {
        switch (value.GetTensorTypeAndShape().ElementDataType)
        {
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(AsHalf(value.GetTensorDataAsSpan<Float16>()).Slice(offset, destination.Length), destination);
                break;
            case TensorElementType.BFloat16:
                BFloat16Bits.ToSingle(AsBits(value.GetTensorDataAsSpan<BFloat16>()).Slice(offset, destination.Length), destination);
                break;
            default:
                value.GetTensorDataAsSpan<float>().Slice(offset, destination.Length).CopyTo(destination);
                break;
        }
    }

    /// <summary>A float32 output's own data, or a float16 or bfloat16 output converted to a new float32 array.</summary>
    public static ReadOnlySpan<float> AsFloats(OrtValue value) =>
        value.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float ? value.GetTensorDataAsSpan<float>() : ToArray(value);

    /// <summary>A float32, float16 or bfloat16 output as a new float32 array.</summary>
    public static float[] ToArray(OrtValue value)
    {
        var result = new float[value.GetTensorTypeAndShape().ElementCount];
        Read(value, 0, result);
        return result;
    }

    /// <summary>Whether a graph's tensor of <paramref name="elementType"/> is one this type converts: float32, float16 or bfloat16.</summary>
    public static bool IsFloat(Type elementType) =>
        elementType == typeof(float) || elementType == typeof(Float16) || elementType == typeof(BFloat16);

    public void Dispose() => Value.Dispose();

    private static void CheckFloat(Type graphType)
    {
        if (!IsFloat(graphType))
            throw new ArgumentException($"{graphType.Name} is not float32, float16 or bfloat16.", nameof(graphType));
    }

    private static OrtValue NewNarrow(long[] shape, Type graphType) =>
        OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance,
            graphType == typeof(BFloat16) ? TensorElementType.BFloat16 : TensorElementType.Float16, shape);

    private static void WriteNarrow(ReadOnlySpan<float> source, OrtValue narrow)
    {
        if (narrow.GetTensorTypeAndShape().ElementDataType == TensorElementType.BFloat16)
            BFloat16Bits.FromSingle(source, AsBits(narrow.GetTensorMutableDataAsSpan<BFloat16>()));
        else
            TensorPrimitives.ConvertToHalf(source, AsHalf(narrow.GetTensorMutableDataAsSpan<Float16>()));
    }

    // ONNX Runtime's Float16 and .NET's Half are both IEEE 754 binary16: the same bits.
    private static ReadOnlySpan<Half> AsHalf(ReadOnlySpan<Float16> values) => MemoryMarshal.Cast<Float16, Half>(values);

    private static Span<Half> AsHalf(Span<Float16> values) => MemoryMarshal.Cast<Float16, Half>(values);

    // ONNX Runtime's BFloat16 is the upper half of a float32's bits.
    private static ReadOnlySpan<ushort> AsBits(ReadOnlySpan<BFloat16> values) => MemoryMarshal.Cast<BFloat16, ushort>(values);

    private static Span<ushort> AsBits(Span<BFloat16> values) => MemoryMarshal.Cast<BFloat16, ushort>(values);
}
