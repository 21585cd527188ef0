using System.Collections.Concurrent;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>
/// The one place that builds ONNX Runtime session options and chooses the execution provider: CUDA when this is
/// the CUDA build and a GPU is visible (device id from RUNNER_CUDA_DEVICE_ID), otherwise CPU. On CUDA each session's
/// arena is bounded by its share of the model's ledger entry (<c>gpu_mem_limit</c>, <see cref="SessionMemoryShares"/>)
/// and grows only by what is asked for (<c>kSameAsRequested</c>), so a model's sessions together cannot silently take
/// more than the model manager admitted.
/// </summary>
public sealed class OnnxSessionFactory
{
    /// <summary>One memory description per CUDA device, shared by every factory and session of the process.</summary>
    private static readonly ConcurrentDictionary<int, OrtMemoryInfo> CudaMemory = new();

    private readonly long? _memoryLimitBytes;
    private readonly SessionMemoryShares? _shares;

    public OnnxSessionFactory(RunnerSettings settings)
        : this(Choose(settings), null, null)
    {
    }

    private OnnxSessionFactory(ExecutionProviderChoice choice, long? memoryLimitBytes, SessionMemoryShares? shares)
    {
        Choice = choice;
        _memoryLimitBytes = memoryLimitBytes;
        _shares = shares;
        DeviceMemory = DeviceMemoryOf(choice);
    }

    public ExecutionProviderChoice Choice { get; }

    /// <summary>
    /// Where the sessions compute: the CUDA device's memory, or the host's. Outputs bound there stay on the device
    /// (<see cref="OnnxRun.RunKeepingOnDevice"/>). Like <see cref="OrtMemoryInfo.DefaultInstance"/>, it lives as long as the process.
    /// </summary>
    public OrtMemoryInfo DeviceMemory { get; }

    /// <summary>
    /// The same factory with the device arenas of one model's sessions bounded to <paramref name="bytes"/> (the model's
    /// ledger entry) in all: each session gets its graph's share.
    /// </summary>
    public OnnxSessionFactory WithMemoryLimit(long bytes, SessionMemoryShares shares) => new(Choice, bytes, shares);

    /// <summary>The arena limit a session for <paramref name="onnxPath"/> gets; null when unbounded.</summary>
    public long? MemoryLimitFor(string onnxPath) =>
        _memoryLimitBytes is { } limit ? _shares?.LimitFor(onnxPath, limit) ?? limit : null;

    private static OrtMemoryInfo DeviceMemoryOf(ExecutionProviderChoice choice) => choice.IsCuda
        ? CudaMemory.GetOrAdd(choice.DeviceId ?? 0, static id => new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, id, OrtMemType.Default))
        : OrtMemoryInfo.DefaultInstance;

    /// <summary>Opens several sessions of one model in parallel (a diffusion model's encoders, UNet and VAE).</summary>
    public async Task<InferenceSession[]> CreateAllAsync(string modelId, IReadOnlyList<string> onnxPaths)
    {
        var sessions = onnxPaths.Select(path => Task.Run(() => Create(modelId, path))).ToArray();
        try
        {
            return await Task.WhenAll(sessions).ConfigureAwait(false);
        }
        catch
        {
            foreach (var opened in sessions.Where(t => t.IsCompletedSuccessfully))
                opened.Result.Dispose();
            throw;
        }
    }

    /// <summary>Opens a session on the chosen provider; a file ONNX Runtime cannot read becomes a <see cref="ModelLoadException"/>.</summary>
    /// <param name="threads">How its CPU kernels run: on the shared pool of intra-op threads, or on the calling thread alone.</param>
    public InferenceSession Create(string modelId, string onnxPath, SessionThreads threads = SessionThreads.Pool)
    {
        using var options = CreateOptions(MemoryLimitFor(onnxPath), threads);
        return Open(modelId, onnxPath, () => new InferenceSession(onnxPath, options));
    }

    /// <summary>
    /// As <see cref="Create(string, string, SessionThreads)"/>, from <paramref name="modelBytes"/>: the graph file's
    /// content rewritten (a LoRA branch graph). Its external data is still read from beside <paramref name="onnxPath"/>,
    /// whose arena share it gets.
    /// </summary>
    public InferenceSession Create(string modelId, string onnxPath, byte[] modelBytes)
    {
        using var options = CreateOptions(MemoryLimitFor(onnxPath), SessionThreads.Pool);
        options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", Path.GetDirectoryName(Path.GetFullPath(onnxPath))!);
        return Open(modelId, onnxPath, () => new InferenceSession(modelBytes, options));
    }

    /// <summary>A file ONNX Runtime cannot read becomes a <see cref="ModelLoadException"/>; running out of device memory stays that.</summary>
    private static InferenceSession Open(string modelId, string onnxPath, Func<InferenceSession> open)
    {
        try
        {
            return open();
        }
        catch (OnnxRuntimeException e)
        {
            if (OnnxErrors.Translate(e) is DeviceOutOfMemoryException outOfMemory)
                throw outOfMemory;
            throw new ModelLoadException(modelId, $"ONNX Runtime could not load '{Path.GetFileName(onnxPath)}' of {modelId}: {e.Message}", e);
        }
    }

    private SessionOptions CreateOptions(long? memoryLimitBytes, SessionThreads threads)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (threads == SessionThreads.CallerOnly)
        {
            options.IntraOpNumThreads = 1;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        if (Choice.IsCuda)
            AppendCuda(options, Choice.DeviceId ?? 0, memoryLimitBytes);
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

    private static void AppendCuda(SessionOptions options, int deviceId, long? memoryLimitBytes)
    {
        using var cuda = new OrtCUDAProviderOptions();
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = "kSameAsRequested",
        };
        if (memoryLimitBytes is { } limit)
            settings["gpu_mem_limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        cuda.UpdateOptions(settings);
        options.AppendExecutionProvider_CUDA(cuda);
    }
#else
    private const bool CudaBuild = false;

    private static void AppendCuda(SessionOptions options, int deviceId, long? memoryLimitBytes) =>
        throw new InvalidOperationException($"CUDA device {deviceId} requested from the CPU build.");
#endif
}
