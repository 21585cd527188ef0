using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// /text-to-speech. Today one kind of model: an espeak-ng voice, configured as <c>espeak-ng/&lt;voice&gt;</c> without a
/// <c>path</c> (e.g. <c>espeak-ng/en-us</c>); it needs no files and weighs nothing. Neural models (Parler-TTS, Kokoro)
/// are located like any other model and then refused as not built yet (TODO(#14)).
/// </summary>
public sealed class SpeechEngine(EspeakOptions espeak) : IEngine
{
    public const string EspeakPrefix = "espeak-ng/";

    public SpeechEngine()
        : this(new EspeakOptions())
    {
    }

    public string Name => "espeak-ng";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.TextToSpeech];

    public IReadOnlyList<Prerequisite> Prerequisites =>
    [
        new("espeak-ng", "install the Debian package espeak-ng", cancellationToken => EspeakVoice.IsAvailableAsync(espeak, cancellationToken)),
    ];

    /// <summary>Each request is its own espeak-ng process, single-threaded and short: four at once keeps two cores busy without queueing long.</summary>
    public int Concurrency => 4;

    /// <summary>An espeak-ng voice is a program on the machine, not files under MODEL_DIR.</summary>
    public bool NeedsFiles(ModelEntry entry) => !IsEspeakVoice(entry);

    /// <summary>The WAV read back and its samples: 30 minutes of speech at most, a few MiB for a paragraph.</summary>
    public long ActivationBytes(ModelEntry entry, string location) => 64L << 20;

    public async Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken)
    {
        if (!IsEspeakVoice(load.Entry))
            throw new EngineUnavailableException(
                $"Neural text-to-speech models (Parler-TTS, Kokoro) are not built into this runner yet, so model {load.ModelId} cannot run; " +
                $"configure an espeak-ng voice instead, e.g. model_id {EspeakPrefix}en-us without a path.");
        return await EspeakVoice.LoadAsync(load.ModelId, load.ModelId[EspeakPrefix.Length..], espeak, cancellationToken).ConfigureAwait(false);
    }

    public static bool IsEspeakVoice(ModelEntry entry) =>
        entry.Path is null && entry.ModelId.StartsWith(EspeakPrefix, StringComparison.Ordinal);
}
