using Livepeer.Runner.Core.Errors;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>Turns ONNX Runtime failures into the runner's typed errors.</summary>
public static class OnnxErrors
{
    /// <summary>
    /// ONNX Runtime reports an allocation failure (BFC arena or CUDA) only through its message, with the generic
    /// RuntimeException code, so this is the single place where message text is read; everything downstream
    /// matches on the typed <see cref="DeviceOutOfMemoryException"/>.
    /// </summary>
    public static Exception Translate(OnnxRuntimeException error) =>
        error.Message.Contains("Failed to allocate memory", StringComparison.OrdinalIgnoreCase)
        || error.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
            ? new DeviceOutOfMemoryException(error.Message, error)
            : new InferenceException(error.Message, error);
}
