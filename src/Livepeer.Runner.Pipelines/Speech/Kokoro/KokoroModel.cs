using System.Text.Json;
using System.Text.RegularExpressions;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Speech.Kokoro;

/// <summary>
/// Kokoro-82M as onnx-community exports it (MODEL-FORMATS §7.2): <c>onnx/model.onnx</c> takes the phoneme ids
/// (<c>input_ids</c> i64 <c>[1, n + 2]</c>), a voice's <c>style</c> row (f32 <c>[1, 256]</c>) and <c>speed</c>
/// (f32 <c>[1]</c>) and gives a flat 24 kHz <c>waveform</c>. Text is cut at sentences (<see cref="SentenceChunks"/>),
/// phonemized by espeak-ng (<see cref="KokoroPhonemizer"/>), mapped through <c>tokenizer.json</c>
/// (<see cref="KokoroVocabulary"/>), cut again so no call has more than <see cref="MaxPhonemeIds"/> ids
/// (<see cref="KokoroIdChunks"/>), and the calls' audio joined. Kokoro does not sample: the same text and voice give
/// the same audio. One session serves concurrent requests (ONNX Runtime's Run is thread-safe); nothing else is mutable.
/// </summary>
public sealed partial class KokoroModel : ISpeechVoice
{
    public const int SampleRate = 24_000;

    /// <summary>Phoneme ids in one call, the pads not counted: Kokoro's context is 512.</summary>
    public const int MaxPhonemeIds = 510;

    /// <summary>The voice kokoro.js speaks with when none is named.</summary>
    public const string PreferredDefaultVoice = "af_heart";

    /// <summary>Characters phonemized in one espeak-ng run: English IPA is about as long as its text, so most pieces fit one call.</summary>
    internal const int TextChunkChars = 400;

    /// <summary>The pause between the audio of two calls.</summary>
    internal static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(100);

    private const float Speed = 1f;

    [GeneratedRegex(@"[A-Za-z0-9_]+", RegexOptions.CultureInvariant)]
    private static partial Regex VoiceLikeWord();

    private readonly InferenceSession _session;
    private readonly KokoroPhonemizer _phonemizer;

    private KokoroModel(InferenceSession session, KokoroVocabulary vocabulary, IReadOnlyDictionary<string, KokoroVoicePack> voices, KokoroPhonemizer phonemizer)
    {
        _session = session;
        Vocabulary = vocabulary;
        Voices = voices;
        _phonemizer = phonemizer;
        DefaultVoice = voices.ContainsKey(PreferredDefaultVoice) ? PreferredDefaultVoice : voices.Keys.Order(StringComparer.Ordinal).First();
    }

    public KokoroVocabulary Vocabulary { get; }

    /// <summary>The folder's English voices by name (<c>voices/&lt;name&gt;.bin</c>).</summary>
    public IReadOnlyDictionary<string, KokoroVoicePack> Voices { get; }

    /// <summary><see cref="PreferredDefaultVoice"/> when the folder has it, else its first voice by name.</summary>
    public string DefaultVoice { get; }

    /// <summary>
    /// A request's intermediate tensors: the decoder upsamples a call's frames to 24 kHz through 128–512 channels, so
    /// a call of 510 ids (about 30 s of speech) takes a few hundred MB; about 1.5 MiB per id covers it.
    /// </summary>
    public static long ActivationBytes => (MaxPhonemeIds + 2) * (3L << 19);

    /// <exception cref="ModelLoadException">A file is missing or the graph is not the onnx-community signature.</exception>
    public static KokoroModel Load(string modelId, string folder, OnnxSessionFactory sessions, EspeakOptions espeak)
    {
        var vocabulary = KokoroVocabulary.Load(modelId, folder);
        var voices = LoadVoices(modelId, folder, StyleDim(folder));
        var session = sessions.Create(modelId, Path.Combine(folder, "onnx", "model.onnx"));
        try
        {
            string[] inputs = ["input_ids", "style", "speed"];
            if (!inputs.All(session.InputMetadata.ContainsKey) || session.InputMetadata.Count != inputs.Length || !session.OutputMetadata.ContainsKey("waveform"))
                throw new ModelLoadException(modelId,
                    $"{modelId}: onnx/model.onnx must take input_ids, style and speed and give waveform (the onnx-community Kokoro export), but it takes {string.Join(", ", session.InputMetadata.Keys)}.");
            return new KokoroModel(session, vocabulary, voices, new KokoroPhonemizer(espeak));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static int StyleDim(string folder)
    {
        var config = ModelFolderJson.Read(Path.Combine(folder, "config.json"));
        return config is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("style_dim", out var dim) && dim.TryGetInt32(out var value) && value > 0
            ? value
            : 256;
    }

    private static Dictionary<string, KokoroVoicePack> LoadVoices(string modelId, string folder, int styleDim)
    {
        var voices = new Dictionary<string, KokoroVoicePack>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in Directory.EnumerateFiles(Path.Combine(folder, "voices"), "*.bin").Order(StringComparer.Ordinal))
        {
            if (KokoroVoicePack.LanguageOf(Path.GetFileNameWithoutExtension(path)) is not null)
                voices.TryAdd(Path.GetFileNameWithoutExtension(path), KokoroVoicePack.Load(modelId, path, styleDim));
        }

        return voices.Count > 0
            ? voices
            : throw new ModelLoadException(modelId, $"Kokoro model {modelId} has no English voice in voices/ (a file such as voices/af_heart.bin).");
    }

    /// <summary>
    /// The voice the description names: the first of its words (letters, digits, underscores) that is one of the
    /// folder's voices, case-insensitively ("af_bella", "Use bf_emma please"); otherwise <see cref="DefaultVoice"/>.
    /// </summary>
    public KokoroVoicePack VoiceFor(string description)
    {
        foreach (Match word in VoiceLikeWord().Matches(description))
        {
            if (Voices.TryGetValue(word.Value, out var named))
                return named;
        }

        return Voices[DefaultVoice];
    }

    /// <summary>
    /// All the espeak-ng runs of one request together (each is bounded too): the per-clause fallback can start many
    /// short processes, and a request must not hold the model for long however its text splits.
    /// </summary>
    public static readonly TimeSpan PhonemizeBudget = TimeSpan.FromMinutes(1);

    /// <exception cref="BadInputException">The text has nothing Kokoro can pronounce.</exception>
    /// <exception cref="InferenceException">espeak-ng failed, or took longer than <see cref="PhonemizeBudget"/> in all.</exception>
    public async Task<MonoAudio> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken)
    {
        var voice = VoiceFor(request.Description);
        var parts = new List<MonoAudio>();
        using var phonemizing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        phonemizing.CancelAfter(PhonemizeBudget);
        foreach (var chunk in SentenceChunks.Split(EspeakText.Plain(request.Text), TextChunkChars))
        {
            string phonemes;
            try
            {
                phonemes = await _phonemizer.PhonemizeAsync(chunk, voice.Language, phonemizing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InferenceException($"espeak-ng took longer than {PhonemizeBudget.TotalSeconds:0} s in all to phonemize this text.", e);
            }

            foreach (var ids in KokoroIdChunks.Split(Vocabulary.Encode(phonemes), MaxPhonemeIds, Vocabulary))
                parts.Add(new MonoAudio(Synthesize(ids, voice, cancellationToken), SampleRate));
        }

        return parts.Count > 0
            ? MonoAudio.Join(parts, Gap)
            : throw new BadInputException("The text has nothing Kokoro can pronounce; send words.");
    }

    /// <summary>One call of the graph: at most <see cref="MaxPhonemeIds"/> ids, the style row chosen by their count.</summary>
    internal float[] Synthesize(long[] ids, KokoroVoicePack voice, CancellationToken cancellationToken)
    {
        var wrapped = Vocabulary.Wrap(ids);
        using var inputIds = OrtValue.CreateTensorValueFromMemory(wrapped, [1, wrapped.Length]);
        using var style = OrtValue.CreateTensorValueFromMemory(voice.StyleFor(ids.Length), [1, voice.StyleDim]);
        using var speed = OrtValue.CreateTensorValueFromMemory(new[] { Speed }, [1]);
        using var outputs = OnnxRun.Run(_session, ["input_ids", "style", "speed"], [inputIds, style, speed], ["waveform"], cancellationToken);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
