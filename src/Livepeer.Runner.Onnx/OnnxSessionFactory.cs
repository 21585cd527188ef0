using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>
/// The one place that builds ONNX Runtime session options and chooses the execution provider: CUDA when this is
/// the CUDA build and a GPU is visible (device id from RUNNER_CUDA_DEVICE_ID), otherwise CPU.
/// </summary>
public sealed class OnnxSessionFactory
{
    public OnnxSessionFactory(RunnerSettings settings)
    {
        Choice = Choose(settings);
    }

    public ExecutionProviderChoice Choice { get; }

    /// <summary>Opens a session on the chosen provider; a file ONNX Runtime cannot read becomes a <see cref="ModelLoadException"/>.</summary>
    public InferenceSession Create(string modelId, string onnxPath)
    {
        using var options = CreateOptions();
        try
        {
            return new InferenceSession(onnxPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            if (OnnxErrors.Translate(e) is DeviceOutOfMemoryException outOfMemory)
                throw outOfMemory;
            throw new ModelLoadException(modelId, $"ONNX Runtime could not load '{Path.GetFileName(onnxPath)}' of {modelId}: {e.Message}", e);
        }
    }

    private SessionOptions CreateOptions()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (Choice.IsCuda)
            AppendCuda(options, Choice.DeviceId ?? 0);
        return options;
    }

    private static ExecutionProviderChoice Choose(RunnerSettings settings)
    {
        if (settings.ExecutionProvider == "cpu")
            return new("CPUExecutionProvider", null, "RUNNER_EXECUTION_PROVIDER=cpu");

        var available = OrtEnv.Instance().GetAvailableProviders();
        var hasCuda = available.Contains("CUDAExecutionProvider") && CudaBuild;
        if (!hasCuda)
        {
            return settings.ExecutionProvider == "cuda"
                ? throw new RunnerConfigurationException("RUNNER_EXECUTION_PROVIDER=cuda, but this build of the runner has no CUDA execution provider (build it with -p:OnnxRuntimeFlavor=Cuda).")
                : new("CPUExecutionProvider", null, "this build has no CUDA execution provider");
        }

        return new("CUDAExecutionProvider", settings.CudaDeviceId, $"CUDA build, device {settings.CudaDeviceId}");
    }

#if ONNX_CUDA
    private const bool CudaBuild = true;

    private static void AppendCuda(SessionOptions options, int deviceId) => options.AppendExecutionProvider_CUDA(deviceId);
#else
    private const bool CudaBuild = false;

    private static void AppendCuda(SessionOptions options, int deviceId) =>
        throw new InvalidOperationException($"CUDA device {deviceId} requested from the CPU build.");
#endif
}
