using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Livepeer.Runner.Pipelines.Whisper;
using Microsoft.ML.OnnxRuntime;

using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Moonshine;

/// <summary>
/// Moonshine (Useful Sensors) on ONNX Runtime: <c>encoder_model.onnx</c> takes the raw 16 kHz samples
/// (<c>input_values</c>, no mel step, no padding to 30 s), <c>decoder_model_merged.onnx</c> has optimum's merged
/// seq2seq signature, so the shared <see cref="Seq2SeqDecoder"/> and <see cref="Seq2SeqGreedy"/> run it. Graphs sit at
/// the folder's top level or under <c>onnx/</c> (the onnx-community layout); config and tokenizer files at the top.
/// Moonshine has no timestamp tokens: long audio is cut into windows (<see cref="WindowPlan"/>, or the Silero VAD's
/// speech spans), each decoded on its own with at most 6 tokens per second, and each window is one chunk whose
/// timestamps are its bounds in the file. Windows run one at a time: the encoder takes no attention mask, so windows
/// of different lengths cannot share a batch.
/// </summary>
public sealed class MoonshineModel : ISpeechRecognizer
{
    public const int SampleRate = 16_000;

    /// <summary>
    /// Shorter windows are not decoded: the encoder's convolution stem (kernels 127/7/3, strides 64/3/2) needs about
    /// 900 samples to give one frame, and 0.1 s holds no word.
    /// </summary>
    public const int MinWindowSamples = SampleRate / 10;

    private readonly InferenceSession _encoder;
    private readonly Seq2SeqDecoder _decoder;
    private readonly LlmTokenizer _tokenizer;

    private MoonshineModel(string modelId, InferenceSession encoder, Seq2SeqDecoder decoder, MoonshineConfig config, LlmTokenizer tokenizer)
    {
        ModelId = modelId;
        _encoder = encoder;
        _decoder = decoder;
        Config = config;
        _tokenizer = tokenizer;
        // Only the samples are fed: an export that also wants a mask is refused at load, not at the first request.
        if (!encoder.InputMetadata.Keys.SequenceEqual([EncoderInput]) || !encoder.OutputMetadata.ContainsKey(EncoderOutput))
            throw new ModelLoadException(modelId, $"{modelId}: the Moonshine encoder must take only input_values and give last_hidden_state, but it takes {string.Join(", ", encoder.InputMetadata.Keys)}.");
        if (!decoder.IsMerged)
            throw new ModelLoadException(modelId, $"{modelId}: Moonshine needs decoder_model_merged.onnx.");
    }

    public string ModelId { get; }

    /// <summary>Moonshine has no timestamp tokens or alignment heads: segment chunks only.</summary>
    public bool SupportsWordTimestamps => false;
    public MoonshineConfig Config { get; }

    internal const string EncoderInput = "input_values";
    private const string EncoderOutput = "last_hidden_state";

    /// <summary>What <see cref="Load"/> reads: a config, a tokenizer, the raw-sample encoder (its only input) and the merged decoder.</summary>
    internal static ModelRequirements Requirements(string directory)
    {
        var graphs = AudioToTextEngine.GraphFolder(directory) ?? directory;
        var prefix = graphs == directory ? "" : "onnx/";
        return new ModelRequirements("moonshine",
            [
                FileNeed.Of("the start and end ids", "config.json", "generation_config.json"),
                FileNeed.Of("the tokenizer", "tokenizer.json", "tokenizer.model"),
            ],
            [
                new GraphNeed("encoder", [prefix + "encoder_model.onnx"], [Named(EncoderInput, "Float")], [Named(EncoderOutput)]),
                new GraphNeed("decoder (merged)", [prefix + "decoder_model_merged.onnx"], All(["input_ids", "encoder_hidden_states", "use_cache_branch"]), [Named("logits", FloatTypes)]),
            ]);
    }

    public static MoonshineModel Load(string modelId, string directory, OnnxSessionFactory sessions)
    {
        var graphs = AudioToTextEngine.GraphFolder(directory)
            ?? throw new ModelLoadException(modelId, $"Moonshine model {modelId} has no encoder_model.onnx, neither in its folder nor under onnx/.");
        if (!File.Exists(Path.Combine(graphs, "decoder_model_merged.onnx")))
            throw new ModelLoadException(modelId, $"Moonshine model {modelId} has no decoder_model_merged.onnx beside its encoder.");
        var config = MoonshineConfig.Load(modelId, directory);
        var tokenizer = LlmTokenizer.FromModelFolder(modelId, directory);
        var encoder = sessions.Create(modelId, Path.Combine(graphs, "encoder_model.onnx"));
        try
        {
            var decoder = Seq2SeqDecoder.Load(modelId, graphs, sessions);
            try
            {
                return new MoonshineModel(modelId, encoder, decoder, config, tokenizer);
            }
            catch
            {
                decoder.Dispose();
                throw;
            }
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    public Task<Transcription> TranscribeAsync(float[] samples, TranscriptionOptions options, CancellationToken cancellationToken) =>
        Task.FromResult(Build(DecodeWindows(samples, WindowPlan.For(samples), cancellationToken), options.ReturnTimestamps));

    /// <summary>Each speech span is decoded where it lies (split into windows when it is long), so no time mapping is needed.</summary>
    public Task<Transcription> TranscribeSpeechOnlyAsync(SileroVad vad, float[] samples, TranscriptionOptions options, VadOptions? vadOptions, CancellationToken cancellationToken)
    {
        var speech = VadFilter.SpeechSpans(vad.Probabilities(samples, cancellationToken), samples.Length, vadOptions ?? new VadOptions());
        var windows = speech
            .SelectMany(span => WindowPlan.For(samples.AsSpan(span.Start, span.End - span.Start)).Select(w => w with { Start = w.Start + span.Start }))
            .ToList();
        return Task.FromResult(Build(DecodeWindows(samples, windows, cancellationToken), options.ReturnTimestamps));
    }

    /// <summary>Each window's generated ids (the end token not included) and text.</summary>
    /// <param name="maxNewTokens">Tests only: a cap in place of <see cref="MoonshineConfig.MaxNewTokens"/>.</param>
    internal IReadOnlyList<MoonshineWindowResult> DecodeWindows(float[] samples, IReadOnlyList<WindowPlan.Window> windows, CancellationToken cancellationToken, int? maxNewTokens = null)
    {
        var results = new List<MoonshineWindowResult>(windows.Count);
        foreach (var window in windows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ids = window.Length < MinWindowSamples ? [] : Generate(samples.AsMemory(window.Start, window.Length), maxNewTokens ?? Config.MaxNewTokens(window.Length), cancellationToken);
            results.Add(new MoonshineWindowResult(window.Start, window.Length, ids, _tokenizer.Decode(ids).Trim()));
        }

        return results;
    }

    private List<int> Generate(Memory<float> window, int maxNewTokens, CancellationToken cancellationToken)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, window, [1, window.Length]);
        // The encoder's states only feed the decoder: on a GPU they stay there for every decoder step.
        using var encoded = OnnxRun.RunKeepingOnDevice(_encoder, ["input_values"], [input], ["last_hidden_state"], null, _decoder.Device, cancellationToken);
        var generated = Seq2SeqGreedy.Generate(
            _decoder,
            encoded[0],
            [[Config.DecoderStartTokenId]],
            maxNewTokens,
            Config.EosTokenId,
            rule: null,
            onToken: null,
            cancellationToken)[0];
        if (generated.Count > 0 && generated[^1] == Config.EosTokenId)
            generated.RemoveAt(generated.Count - 1);
        return generated;
    }

    /// <summary>The windows' texts joined by a space; with timestamps, one chunk per window that said something.</summary>
    private static Transcription Build(IReadOnlyList<MoonshineWindowResult> windows, bool timestamps)
    {
        var spoken = windows.Where(w => w.Text.Length > 0).ToList();
        var text = string.Join(' ', spoken.Select(w => w.Text));
        var chunks = timestamps ? spoken.Select(w => new TranscriptChunk(w.StartSeconds, w.EndSeconds, w.Text)).ToList() : [];
        return new Transcription(text, chunks);
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }
}

/// <summary>What one window decoded to: its place in the file, the generated ids (no end token) and their text.</summary>
internal sealed record MoonshineWindowResult(int StartSample, int Samples, IReadOnlyList<int> Generated, string Text)
{
    public double StartSeconds => Math.Round(StartSample / (double)MoonshineModel.SampleRate, 2);
    public double EndSeconds => Math.Round((StartSample + Samples) / (double)MoonshineModel.SampleRate, 2);
}
