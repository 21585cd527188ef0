using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Pipelines.Speech.Parler;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// /text-to-speech, three kinds of model (<see cref="SpeechModelKind"/>): an espeak-ng voice, configured as
/// <c>espeak-ng/&lt;voice&gt;</c> without a <c>path</c> (e.g. <c>espeak-ng/en-us</c>; no files, no weights), and the
/// neural folders Parler-TTS and Kokoro, told apart by their files.
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

    public ModelRequirements? Requirements(string location) => SpeechRequirements.Of(location);

    /// <summary>espeak-ng: the WAV read back and its samples (30 minutes of speech at most, a few MiB for a paragraph); Kokoro: one call's tensors; Parler-TTS: sized from its config.</summary>
    public long ActivationBytes(ModelEntry entry, string location) => IsEspeakVoice(entry) || location.Length == 0
        ? 64L << 20
        : SpeechModelKinds.Of(location) switch
        {
            SpeechModelKind.ParlerTts => ParlerTtsVoice.ActivationBytes(location),
            SpeechModelKind.Kokoro => KokoroModel.ActivationBytes,
            _ => 64L << 20,
        };

    public async Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken)
    {
        if (IsEspeakVoice(load.Entry))
            return await EspeakVoice.LoadAsync(load.ModelId, load.ModelId[EspeakPrefix.Length..], espeak, cancellationToken).ConfigureAwait(false);

        var folder = load.RequireFolder("A text-to-speech", "Parler-TTS or Kokoro ONNX files, MODEL-FORMATS §7");
        return SpeechModelKinds.Of(folder) switch
        {
            SpeechModelKind.ParlerTts => ParlerTtsVoice.Load(load.ModelId, folder, load.Sessions),
            SpeechModelKind.Kokoro => KokoroModel.Load(load.ModelId, folder, load.Sessions, espeak),
            _ => throw new ModelLoadException(load.ModelId,
                $"{folder} holds neither a Parler-TTS export (decoder_model_merged.onnx, dac_decode.onnx) nor a Kokoro one (onnx/model.onnx, voices/)."),
        };
    }

    public static bool IsEspeakVoice(ModelEntry entry) =>
        entry.Path is null && entry.ModelId.StartsWith(EspeakPrefix, StringComparison.Ordinal);
}
