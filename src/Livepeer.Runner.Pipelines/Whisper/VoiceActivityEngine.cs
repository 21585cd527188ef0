using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Silero VAD, the optional speech filter of /audio-to-text (RUNNER_VAD_MODEL). Not a route of its own: the
/// audio-to-text pipeline leases it through the model manager like any model, so its memory is in the ledger.
/// </summary>
public sealed class VoiceActivityEngine : IEngine
{
    /// <summary>The internal pipeline name of the VAD's ledger entry.</summary>
    public const string Pipeline = "voice-activity";

    public const string ModelId = "snakers4/silero-vad";

    public string Name => "silero-vad";

    public IReadOnlyList<string> Pipelines { get; } = [Pipeline];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    /// <summary>The recurrent state lives in each call, so any number of requests can share the session.</summary>
    public int Concurrency => int.MaxValue;

    /// <summary>The entry the audio-to-text pipeline leases, or null when no VAD is configured.</summary>
    public static ModelEntry? Entry(RunnerSettings settings) =>
        settings.VadModelPath is { } path ? new ModelEntry(Pipeline, ModelId, Warm: false, Path.GetFullPath(path)) : null;

    public long ActivationBytes(ModelEntry entry, string location) => 16L << 20;

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(SileroVad.Load(load.Location, load.Sessions));
}
