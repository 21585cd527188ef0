namespace Livepeer.Runner.Contract;

// The response bodies of the ai-runner contract (RUNNER-CONTRACT §2). Serialized snake_case, every field emitted.

/// <summary>One generated image or frame: a PNG data URL, the seed that made it, and the NSFW verdict.</summary>
public sealed record Media(string Url, long Seed, bool Nsfw);

public sealed record ImageResponse(IReadOnlyList<Media> Images);

public sealed record VideoResponse(IReadOnlyList<IReadOnlyList<Media>> Frames);

public sealed record MediaUrl(string Url);

public sealed record AudioResponse(MediaUrl Audio);

public sealed record TextChunk(double?[] Timestamp, string Text);

public sealed record TextResponse(string Text, IReadOnlyList<TextChunk> Chunks);

public sealed record ImageToTextResponse(string Text);

public sealed record MasksResponse(string Masks, string Scores, string Logits);

public sealed record HealthResponse(string Status);

public sealed record VersionResponse(string Pipeline, string ModelId, string Version);

public sealed record GpuInfoEntry(string Id, string Name, ulong MemoryTotal, ulong MemoryFree, int Major, int Minor);

public sealed record GpuStatsEntry(string Id, string Name, ulong MemoryTotal, ulong MemoryFree, uint UtilizationCompute, uint UtilizationMemory);

/// <summary>ai-runner's /hardware/info, plus the execution provider this runner chose (extra keys are ignored by go-livepeer).</summary>
public sealed record HardwareInformation(
    string Pipeline, string ModelId, IReadOnlyDictionary<string, GpuInfoEntry> GpuInfo, ExecutionProviderInfo ExecutionProvider, IReadOnlyList<EngineInfo> Engines);

/// <summary>An engine of this build: the pipelines it serves, requests one model runs at once (absent: unbounded), what it needs.</summary>
public sealed record EngineInfo(
    string Name,
    IReadOnlyList<string> Pipelines,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Concurrency,
    IReadOnlyList<string> Prerequisites);

public sealed record ExecutionProviderInfo(string Name, int? DeviceId, string Reason);

/// <summary>ai-runner's /hardware/stats, plus the model manager's ledger: its device and the models it holds.</summary>
public sealed record HardwareStats(
    string Pipeline,
    string ModelId,
    IReadOnlyDictionary<string, GpuStatsEntry> GpuStats,
    IReadOnlyList<DeviceMemoryEntry> Devices,
    IReadOnlyList<ResidentModelEntry> Models);

/// <summary>A device's memory as the ledger counts it: <c>budget</c> is what models may use (total less the reserve).</summary>
/// <summary>
/// A device's ledger: <c>used_bytes</c> is the resident models' weights, <c>reserved_activation_bytes</c> what running
/// requests reserve on top, <c>free_bytes</c> the rest of the budget; and its requests: running of the limit, queued of the bound.
/// </summary>
public sealed record DeviceMemoryEntry(
    string Name, string Kind, long TotalBytes, long BudgetBytes, long UsedBytes, long FreeBytes,
    long ReservedActivationBytes, int Running, int MaxConcurrency, int Queued, int MaxQueue);

public sealed record ResidentModelEntry(string Pipeline, string ModelId, string Device, string State, long FootprintBytes, bool Pinned, int Leases, int Running);
