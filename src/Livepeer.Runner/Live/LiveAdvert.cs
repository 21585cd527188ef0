using System.Text.Json.Serialization;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;

namespace Livepeer.Runner.Live;

/// <summary>The GPU a registration advertises (informational in go-livepeer: admission never reads it).</summary>
internal sealed record LiveGpu(string Id, string Name, long VramMb)
{
    /// <summary>The models' device as NVML describes it; null on the CPU or without NVML.</summary>
    public static LiveGpu? Of(ComputeDevice device, IReadOnlyList<GpuInfo> gpus)
    {
        if (device.Kind != DeviceKind.Gpu)
            return null;
        var gpu = gpus.FirstOrDefault(g => g.Id == device.Uuid);
        return gpu is null ? null : new LiveGpu(gpu.Id, gpu.Name, (long)(gpu.MemoryTotal / (1024 * 1024)));
    }
}

/// <summary>The price block of a registration, in go-livepeer's shape (USD; converted to wei by the orchestrator).</summary>
internal sealed record LivePriceInfo(decimal Price, string Currency, string Unit)
{
    public static LivePriceInfo? Of(LivePrice? price) => price is null ? null : new LivePriceInfo(price.Price, price.Currency, price.Unit);
}

/// <summary>One runners.json entry (go-livepeer's <c>StaticLiveRunnerConfigEntry</c>; LIVE-RUNNER §2.2).</summary>
internal sealed record StaticRunnerEntry(
    string Label,
    string App,
    string RunnerUrl,
    string HealthUrl,
    string Mode,
    int Capacity,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LiveGpu? Gpu,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Version,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LivePriceInfo? PriceInfo);

/// <summary>The runners.json document for <c>-liveRunnerConfig</c>.</summary>
internal sealed record StaticRunnersFile(IReadOnlyList<StaticRunnerEntry> Runners);

/// <summary>
/// The heartbeat body (LIVE-RUNNER §3.1), sent whole on every beat: the orchestrator replaces, never merges.
/// <c>session_ids</c> are the sessions the runner is serving (the orchestrator's reply is authoritative).
/// </summary>
internal sealed record HeartbeatRequest(
    string RunnerId,
    string Label,
    string RunnerUrl,
    string App,
    string Mode,
    int Capacity,
    string Status,
    IReadOnlyList<string> SessionIds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LiveGpu? Gpu,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Version,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LivePriceInfo? PriceInfo);

/// <summary>
/// The heartbeat reply; <c>heartbeat_secret</c> and <c>o2r</c> come on the first one only. <c>orchestrator</c> is the
/// runner-facing base URL (<c>-liveRunnerAddr</c>); <c>session_ids</c> the orchestrator's active sessions, oldest first.
/// </summary>
internal sealed record HeartbeatResponse(
    string? RunnerId,
    string? Orchestrator,
    string? HeartbeatInterval,
    string? HeartbeatTtl,
    string? HeartbeatSecret,
    HeartbeatChannel? O2r,
    IReadOnlyList<string>? SessionIds);

/// <summary>A trickle channel the orchestrator offers (the O2R session-event channel); its name and URL are credentials.</summary>
internal sealed record HeartbeatChannel(string? Name, string? ChannelName, string? Url, string? MimeType);

/// <summary>What every registration of this runner advertises alongside its own fields.</summary>
internal sealed record LiveAdvert(Uri PublicUrl, string Version, LiveGpu? Gpu)
{
    public const string Mode = "single-shot";

    public StaticRunnerEntry StaticEntry(LiveRegistration registration) => new(
        registration.Label, registration.App, registration.RunnerUrl(PublicUrl), registration.HealthUrl(PublicUrl), Mode,
        registration.Capacity, Gpu, Version, LivePriceInfo.Of(registration.Entry.Price));

    public HeartbeatRequest Heartbeat(LiveRegistration registration, string runnerId, bool ready, IReadOnlyList<string> sessions) => new(
        runnerId, registration.Label, registration.RunnerUrl(PublicUrl), registration.App, Mode, registration.Capacity,
        ready ? "ready" : "unavailable", sessions, Gpu, Version, LivePriceInfo.Of(registration.Entry.Price));
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StaticRunnersFile))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
internal sealed partial class LiveJson : JsonSerializerContext;
