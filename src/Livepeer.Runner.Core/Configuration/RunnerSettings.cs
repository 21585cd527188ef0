using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Configuration;

/// <summary>
/// Every setting of the runner, read once from the environment at startup. This file is the one place
/// that maps environment variables (ai-runner's names where they exist, RUNNER_* for our own) to options;
/// the README's configuration table mirrors it.
/// </summary>
public sealed record RunnerSettings
{
    /// <summary>HOST: the address Kestrel binds (ai-runner: 0.0.0.0).</summary>
    public string Host { get; init; } = "0.0.0.0";

    /// <summary>PORT: the HTTP port (ai-runner: 8000).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>PIPELINE + MODEL_ID: ai-runner's one-pipeline, one-model mode; that model is warm.</summary>
    public string? Pipeline { get; init; }

    public string? ModelId { get; init; }

    /// <summary>MODELS_CONFIG: a JSON file in go-livepeer's aiModels.json shape, for many models in one process.</summary>
    public string? ModelsConfigPath { get; init; }

    /// <summary>MODEL_DIR: root of the Hugging Face cache layout (ai-runner's containers use /models).</summary>
    public string ModelDir { get; init; } = "/models";

    /// <summary>AUTH_TOKEN: when set, inference routes require "Authorization: Bearer &lt;token&gt;".</summary>
    public string? AuthToken { get; init; }

    /// <summary>VERSION: overrides the semver reported by /version and the metrics (default: the build's version).</summary>
    public string? Version { get; init; }

    /// <summary>VERBOSE_LOGGING=1: debug logging (go-livepeer sets it with -aiVerboseLogs).</summary>
    public bool VerboseLogging { get; init; }

    /// <summary>RUNNER_EXECUTION_PROVIDER: auto (CUDA when the CUDA build has a GPU, else CPU), cpu or cuda.</summary>
    public string ExecutionProvider { get; init; } = "auto";

    /// <summary>RUNNER_CUDA_DEVICE_ID: the CUDA device ordinal sessions run on.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>RUNNER_MAX_UPLOAD_BYTES: largest file part accepted on image routes without a contract limit.</summary>
    public long MaxUploadBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>RUNNER_MAX_IMAGE_PIXELS: largest decoded input image (width × height) any image route accepts.</summary>
    public long MaxImagePixels { get; init; } = 4096L * 4096;

    /// <summary>RUNNER_UPSCALE_MAX_OUTPUT_PIXELS: largest upscaled image; bounds the reply's size and the encode time.</summary>
    public long UpscaleMaxOutputPixels { get; init; } = 4096L * 4096;

    /// <summary>
    /// RUNNER_X4_UPSCALER_MAX_INPUT_PIXELS: largest input the SD x4 upscaler takes (512×512 by default, diffusers' usual
    /// input; its attention memory grows with the square of the input's pixels).
    /// </summary>
    public long X4UpscalerMaxInputPixels { get; init; } = 512L * 512;

    /// <summary>RUNNER_UPSCALE_TILE: side, in input pixels, of the tiles a super-resolution model runs on.</summary>
    public int UpscaleTileSize { get; init; } = 192;

    /// <summary>RUNNER_VAD_MODEL: a Silero VAD v5 ONNX file; when set, audio-to-text transcribes only the speech it finds (faster-whisper's vad_filter).</summary>
    public string? VadModelPath { get; init; }

    /// <summary>RUNNER_VAE_TILE_LATENTS: latent side above which the VAE decodes tile by tile (128 = 1024 px); 0 never.</summary>
    public int VaeTileLatents { get; init; } = 128;

    /// <summary>RUNNER_PNG_COMPRESSION: zlib level 0–9 for output PNGs (see README: speed vs size).</summary>
    public int PngCompressionLevel { get; init; } = 1;

    /// <summary>RUNNER_TTS_MAX_CHARS: longest text /text-to-speech speaks; longer text is a 400 naming this setting.</summary>
    public int TtsMaxChars { get; init; } = 5000;

    /// <summary>RUNNER_CPU_MEMORY_BYTES: model-memory budget of the CPU device (default: half of physical memory).</summary>
    public long CpuMemoryBytes { get; init; } = DefaultCpuMemoryBytes();

    /// <summary>RUNNER_GPU_RESERVE_BYTES: GPU memory never given to models (CUDA context, other processes).</summary>
    public long GpuReserveBytes { get; init; } = 1L << 30;

    /// <summary>RUNNER_KEEP_ALIVE_SECONDS: how long an idle, unpinned model stays loaded; 0 unloads when idle, negative never.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>RUNNER_LOAD_WAIT_SECONDS: how long a request waits for memory to load its model before failing.</summary>
    public TimeSpan LoadWaitTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>RUNNER_MAX_CONCURRENCY: requests running at once on the device; null: 8 on a GPU, 4 on the CPU.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>RUNNER_MAX_QUEUE: requests allowed to wait for a turn on the device; 0: a request with no free turn is busy at once.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>RUNNER_MAX_QUEUE_WAIT_SECONDS: how long a request waits for a turn before it is answered busy.</summary>
    public TimeSpan MaxQueueWait { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>RUNNER_MAX_IMAGES_PER_REQUEST: largest num_images_per_prompt the diffusion routes accept.</summary>
    public int MaxImagesPerRequest { get; init; } = 8;

    /// <summary>RUNNER_MAX_VIDEO_PIXELS: largest width × height × frames image-to-video generates (the UNet runs all frames at once).</summary>
    public long MaxVideoPixels { get; init; } = 1024L * 1024 * 25;

    /// <summary>RUNNER_VIDEO_DECODE_CHUNK: frames the video VAE decodes per call (ai-runner's decode_chunk_size, 4).</summary>
    public int VideoDecodeChunk { get; init; } = 4;

    /// <summary>RUNNER_MAX_AUDIO_SECONDS: longest audio audio-to-text transcribes.</summary>
    public double MaxAudioSeconds { get; init; } = 3600;

    /// <summary>RUNNER_SHUTDOWN_GRACE_SECONDS: on SIGTERM, how long in-flight requests may finish.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>RUNNER_LORA_DOWNLOADS: whether a LoRA the model cache lacks may be downloaded from the hub (0 forbids it).</summary>
    public bool LoraDownloads { get; init; } = true;

    /// <summary>RUNNER_LORA_MAX_BYTES: the largest LoRA repository (its *.safetensors files together) a request may download.</summary>
    public long LoraMaxBytes { get; init; } = 1L << 30;

    /// <summary>
    /// RUNNER_LORA_CACHE_BYTES: how much disk the LoRA repositories this runner downloaded may take in MODEL_DIR
    /// together; beyond it the least recently used are deleted (repositories pulled otherwise are never touched).
    /// </summary>
    public long LoraCacheBytes { get; init; } = 10L << 30;

    /// <summary>
    /// RUNNER_LORA_SINGLE_COPY: once a component has its LoRA branch session, requests without LoRAs run on it too
    /// (fed zeros) and its base session is closed, so the component's weights are held once instead of twice.
    /// </summary>
    public bool LoraSingleCopy { get; init; }

    public static RunnerSettings FromVariables(Func<string, string?> read)
    {
        var defaults = new RunnerSettings();
        return new RunnerSettings
        {
            Host = Text(read, "HOST") ?? defaults.Host,
            Port = Int(read, "PORT", defaults.Port, 1, 65535),
            Pipeline = Text(read, "PIPELINE"),
            ModelId = Text(read, "MODEL_ID"),
            ModelsConfigPath = Text(read, "MODELS_CONFIG"),
            ModelDir = Text(read, "MODEL_DIR") ?? defaults.ModelDir,
            AuthToken = Text(read, "AUTH_TOKEN"),
            Version = Text(read, "VERSION"),
            VerboseLogging = Text(read, "VERBOSE_LOGGING") is "1" or "true" or "True",
            ExecutionProvider = (Text(read, "RUNNER_EXECUTION_PROVIDER") ?? defaults.ExecutionProvider).ToLowerInvariant() switch
            {
                var ep when ep is "auto" or "cpu" or "cuda" => ep,
                var other => throw new RunnerConfigurationException(
                    $"RUNNER_EXECUTION_PROVIDER must be auto, cpu or cuda, not '{other}'."),
            },
            CudaDeviceId = Int(read, "RUNNER_CUDA_DEVICE_ID", defaults.CudaDeviceId, 0, 1024),
            MaxUploadBytes = Long(read, "RUNNER_MAX_UPLOAD_BYTES", defaults.MaxUploadBytes, 1),
            MaxImagePixels = Long(read, "RUNNER_MAX_IMAGE_PIXELS", defaults.MaxImagePixels, 1),
            UpscaleMaxOutputPixels = Long(read, "RUNNER_UPSCALE_MAX_OUTPUT_PIXELS", defaults.UpscaleMaxOutputPixels, 1),
            X4UpscalerMaxInputPixels = Long(read, "RUNNER_X4_UPSCALER_MAX_INPUT_PIXELS", defaults.X4UpscalerMaxInputPixels, 1),
            UpscaleTileSize = Int(read, "RUNNER_UPSCALE_TILE", defaults.UpscaleTileSize, 32, 4096),
            PngCompressionLevel = Int(read, "RUNNER_PNG_COMPRESSION", defaults.PngCompressionLevel, 0, 9),
            VaeTileLatents = Int(read, "RUNNER_VAE_TILE_LATENTS", defaults.VaeTileLatents, 0, 4096),
            VadModelPath = Text(read, "RUNNER_VAD_MODEL") is { } vad
                ? File.Exists(vad) ? Path.GetFullPath(vad) : throw new RunnerConfigurationException($"RUNNER_VAD_MODEL '{vad}' does not exist.")
                : null,
            TtsMaxChars = Int(read, "RUNNER_TTS_MAX_CHARS", defaults.TtsMaxChars, 1, 1_000_000),
            CpuMemoryBytes = Long(read, "RUNNER_CPU_MEMORY_BYTES", defaults.CpuMemoryBytes, 1),
            GpuReserveBytes = Long(read, "RUNNER_GPU_RESERVE_BYTES", defaults.GpuReserveBytes, 0),
            KeepAlive = TimeSpan.FromSeconds(Long(read, "RUNNER_KEEP_ALIVE_SECONDS", (long)defaults.KeepAlive.TotalSeconds, long.MinValue / 1_000_000_000, long.MaxValue / 1_000_000_000)),
            LoadWaitTimeout = TimeSpan.FromSeconds(Long(read, "RUNNER_LOAD_WAIT_SECONDS", (long)defaults.LoadWaitTimeout.TotalSeconds, 0, 86_400)),
            ShutdownGrace = TimeSpan.FromSeconds(Long(read, "RUNNER_SHUTDOWN_GRACE_SECONDS", (long)defaults.ShutdownGrace.TotalSeconds, 0, 3_600)),
            MaxConcurrency = Text(read, "RUNNER_MAX_CONCURRENCY") is null ? null : Int(read, "RUNNER_MAX_CONCURRENCY", 1, 1, 10_000),
            MaxQueue = Int(read, "RUNNER_MAX_QUEUE", defaults.MaxQueue, 0, 1_000_000),
            MaxQueueWait = TimeSpan.FromSeconds(Long(read, "RUNNER_MAX_QUEUE_WAIT_SECONDS", (long)defaults.MaxQueueWait.TotalSeconds, 0, 86_400)),
            MaxImagesPerRequest = Int(read, "RUNNER_MAX_IMAGES_PER_REQUEST", defaults.MaxImagesPerRequest, 1, 1_000),
            MaxVideoPixels = Long(read, "RUNNER_MAX_VIDEO_PIXELS", defaults.MaxVideoPixels, 1),
            VideoDecodeChunk = Int(read, "RUNNER_VIDEO_DECODE_CHUNK", defaults.VideoDecodeChunk, 1, 1_000),
            MaxAudioSeconds = Long(read, "RUNNER_MAX_AUDIO_SECONDS", (long)defaults.MaxAudioSeconds, 1, 864_000),
            LoraDownloads = Long(read, "RUNNER_LORA_DOWNLOADS", 1, 0, 1) == 1,
            LoraMaxBytes = Long(read, "RUNNER_LORA_MAX_BYTES", defaults.LoraMaxBytes, 1),
            LoraCacheBytes = Long(read, "RUNNER_LORA_CACHE_BYTES", defaults.LoraCacheBytes, 1),
            LoraSingleCopy = Long(read, "RUNNER_LORA_SINGLE_COPY", 0, 0, 1) == 1,
        };
    }

    private static long DefaultCpuMemoryBytes() => Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    private static string? Text(Func<string, string?> read, string name) =>
        read(name) is { Length: > 0 } value ? value.Trim() : null;

    private static int Int(Func<string, string?> read, string name, int fallback, int min, int max) =>
        (int)Long(read, name, fallback, min, max);

    private static long Long(Func<string, string?> read, string name, long fallback, long min, long max = long.MaxValue)
    {
        if (Text(read, name) is not { } text)
            return fallback;
        if (!long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || value < min || value > max)
            throw new RunnerConfigurationException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
        return value;
    }
}
