using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Moonshine;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Whisper on ONNX Runtime from the optimum export layout: <c>encoder_model.onnx</c> plus the merged decoder (or the
/// split pair), greedy decoding with the KV cache carried as OrtValues, the prompt and suppress rules from the
/// model's <c>generation_config.json</c>. Long audio is cut into windows (<see cref="WindowPlan"/>) that are encoded
/// and decoded together in batches of up to <see cref="MaxBatch"/> (or one at a time when the export fixed its batch
/// axis to 1). One request at a time runs on a model. The graphs may also sit under <c>onnx/</c> (transformers.js
/// layout); word timestamps need decoders that output the <c>alignment_heads</c>' <c>cross_attentions.{layer}</c>
/// (a <c>_timestamped</c> export, <see cref="SupportsWordTimestamps"/>).
/// </summary>
public sealed class WhisperModel : ISpeechRecognizer
{
    public const int MaxBatch = 8;

    private readonly InferenceSession _encoder;
    private readonly Seq2SeqDecoder _decoder;
    private readonly LogMelSpectrogram _mel;

    private WhisperModel(string modelId, InferenceSession encoder, Seq2SeqDecoder decoder, WhisperConfig config, WhisperTokenizer tokenizer)
    {
        ModelId = modelId;
        _encoder = encoder;
        _decoder = decoder;
        Config = config;
        Tokenizer = tokenizer;
        _mel = new LogMelSpectrogram(config.MelBins, config.MelFilters);
        var melInput = encoder.InputMetadata[EncoderInput].Dimensions;
        if (melInput.Length != 3 || melInput[1] != config.MelBins)
            throw new ModelLoadException(modelId, $"{modelId}: the encoder takes input_features [{string.Join(",", melInput)}], but preprocessor_config.json says {config.MelBins} mel bins.");
        BatchSize = melInput[0] > 0 ? Math.Min(melInput[0], MaxBatch) : MaxBatch;
        SupportsWordTimestamps = config.AlignmentHeads.Count > 0
            && config.AlignmentHeads.All(h => h.Layer >= 0 && h.Layer < decoder.Layers && h.Head >= 0 && h.Head < decoder.Heads)
            && decoder.HasOutputs(CrossAttentionCollector.OutputsFor(config.AlignmentHeads));
    }

    /// <summary>Whether the decoders output the alignment heads' cross-attentions (and the config names the heads).</summary>
    public bool SupportsWordTimestamps { get; }

    public string ModelId { get; }
    public WhisperConfig Config { get; }
    public WhisperTokenizer Tokenizer { get; }
    public bool UsesMergedDecoder => _decoder.IsMerged;

    /// <summary>Windows encoded and decoded together: <see cref="MaxBatch"/> unless the graph fixes its batch axis.</summary>
    public int BatchSize { get; }

    internal const string EncoderFile = "encoder_model.onnx";
    internal const string EncoderInput = "input_features";
    private const string TokenizerFile = "tokenizer.json";

    /// <summary>What <see cref="Load"/> reads: the configs, the tokenizer, the encoder's log-mel input and the decoder.</summary>
    internal static ModelRequirements Requirements(string directory)
    {
        var graphs = AudioToTextEngine.GraphFolder(directory) ?? directory;
        var prefix = graphs == directory ? "" : "onnx/";
        return new ModelRequirements("whisper",
            [
                FileNeed.Of("the tokenizer", TokenizerFile),
                FileNeed.Of("the generation settings", "generation_config.json"),
                FileNeed.Of("the feature extractor (mel bins)", "preprocessor_config.json"),
            ],
            [
                new GraphNeed("encoder", [prefix + EncoderFile], [new TensorNeed([EncoderInput], ["Float"], 3)], []),
                .. Seq2SeqDecoder.Requirements(graphs, prefix, "decoder"),
            ]);
    }

    public static WhisperModel Load(string modelId, string directory, OnnxSessionFactory sessions, bool preferMergedDecoder = true)
    {
        var config = WhisperConfig.Load(directory);
        var tokenizer = WhisperTokenizer.Load(Path.Combine(directory, TokenizerFile));
        var graphs = AudioToTextEngine.GraphFolder(directory)
            ?? throw new ModelLoadException(modelId, $"Whisper model {modelId} has no {EncoderFile}, neither in its folder nor under onnx/.");
        var encoder = sessions.Create(modelId, Path.Combine(graphs, EncoderFile));
        try
        {
            var decoder = Seq2SeqDecoder.Load(modelId, graphs, sessions, preferMergedDecoder);
            try
            {
                return new WhisperModel(modelId, encoder, decoder, config, tokenizer);
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

    /// <summary>Transcribes 16 kHz mono samples (see <see cref="AudioDecoder"/>).</summary>
    public async Task<Transcription> TranscribeAsync(float[] samples, TranscriptionOptions options, CancellationToken cancellationToken)
    {
        var windows = await DecodeWindowsAsync(samples, options, cancellationToken).ConfigureAwait(false);
        return WhisperSegments.Build(windows, Tokenizer, Config, options.ReturnTimestamps, WordMode(options));
    }

    public Task<Transcription> TranscribeSpeechOnlyAsync(SileroVad vad, float[] samples, TranscriptionOptions options, VadOptions? vadOptions, CancellationToken cancellationToken) =>
        VadFilter.TranscribeJoinedSpeechAsync((speech, token) => TranscribeAsync(speech, options, token), vad, samples, vadOptions, cancellationToken);

    /// <summary>One request at a time per model: the model manager's lease holds the turn (<see cref="AudioToTextEngine.Concurrency"/>).</summary>
    internal Task<IReadOnlyList<WhisperWindowResult>> DecodeWindowsAsync(float[] samples, TranscriptionOptions options, CancellationToken cancellationToken)
    {
        var task = ResolveTask(options.Task);
        var language = ResolveLanguage(options.Language);
        var plan = WindowPlan.For(samples);
        var results = new List<WhisperWindowResult>(plan.Count);
        for (var first = 0; first < plan.Count; first += BatchSize)
        {
            var batch = plan.Skip(first).Take(BatchSize).ToArray();
            results.AddRange(DecodeBatch(samples, batch, language, task, options, cancellationToken));
        }

        return Task.FromResult<IReadOnlyList<WhisperWindowResult>>(results);
    }

    private List<WhisperWindowResult> DecodeBatch(float[] samples, WindowPlan.Window[] windows, int? language, int? task, TranscriptionOptions options, CancellationToken cancellationToken)
    {
        var batch = windows.Length;
        var featureSize = Config.MelBins * LogMelSpectrogram.Frames;
        var features = new float[batch * featureSize];
        for (var b = 0; b < batch; b++)
            _mel.Compute(samples.AsSpan(windows[b].Start, windows[b].Length), features, b * featureSize);

        using var featureValue = OrtValue.CreateTensorValueFromMemory(features, [batch, Config.MelBins, LogMelSpectrogram.Frames]);
        // The encoder's states only feed the decoder: on a GPU they stay there for every decoder step.
        using var encoded = OnnxRun.RunKeepingOnDevice(_encoder, ["input_features"], [featureValue], ["last_hidden_state"], null, _decoder.Device, cancellationToken);
        var hidden = encoded[0];

        var languages = language is { } fixedLanguage ? Enumerable.Repeat((int?)fixedLanguage, batch).ToArray() : DetectLanguages(hidden, batch, cancellationToken);
        var prompts = languages.Select(l => Prompt(l, task, options.ReturnTimestamps)).ToArray();
        var attentions = WordMode(options) ? new CrossAttentionCollector(Config.AlignmentHeads, [.. windows.Select(w => w.Length)]) : null;
        var generated = Generate(hidden, prompts, [.. windows.Select(w => WhisperLogitsProcessor.MaxTimestampIndex(w.Length))], options, attentions?.Tap, cancellationToken);
        return [.. windows.Select((w, b) => new WhisperWindowResult(w.Start, w.Length, prompts[b], generated[b])
        {
            TokenStarts = attentions?.TokenStarts(b, prompts[b].Length, generated[b].Count, Config.MedianFilterWidth),
        })];
    }

    /// <summary>Word timestamps asked for; a model without the outputs they need refuses them plainly.</summary>
    private bool WordMode(TranscriptionOptions options)
    {
        if (!options.ReturnTimestamps || !options.WordTimestamps)
            return false;
        return SupportsWordTimestamps ? true : throw new BadInputException(WordTimestampLimits.NotSupported(ModelId));
    }

    private List<int>[] Generate(OrtValue hidden, int[][] prompts, int[] maxTimestampIndex, TranscriptionOptions options, DecoderTap? tap, CancellationToken cancellationToken)
    {
        var maxNew = Math.Max(1, Math.Min(options.MaxNewTokens, Config.MaxLength - prompts[0].Length));
        var processor = new WhisperLogitsProcessor(Config, options.ReturnTimestamps);
        return Seq2SeqGreedy.Generate(
            _decoder,
            hidden,
            prompts,
            maxNew,
            Config.EosTokenId,
            (row, logits, generated) => processor.Process(logits, generated, maxTimestampIndex[row]),
            onToken: null,
            cancellationToken,
            tap);
    }

    /// <summary>Language detection as openai/whisper does it: the most likely language token after start-of-transcript.</summary>
    private int?[] DetectLanguages(OrtValue hidden, int batch, CancellationToken cancellationToken)
    {
        if (!Config.IsMultilingual || Config.LanguageToId.Count == 0)
            return new int?[batch];
        using var state = _decoder.Start(hidden, [.. Enumerable.Repeat((long)Config.DecoderStartTokenId, batch)], batch, cancellationToken);
        var languageIds = Config.LanguageToId.Values.Order().ToArray();
        var detected = new int?[batch];
        for (var row = 0; row < batch; row++)
        {
            var logits = state.LastLogits(row);
            var best = languageIds[0];
            foreach (var id in languageIds)
            {
                if (id < logits.Length && logits[id] > logits[best])
                    best = id;
            }

            detected[row] = best;
        }

        return detected;
    }

    private int[] Prompt(int? language, int? task, bool timestamps)
    {
        var prompt = new List<int> { Config.DecoderStartTokenId };
        if (language is { } l)
            prompt.Add(l);
        if (task is { } t)
            prompt.Add(t);
        if (!timestamps)
            prompt.Add(Config.NoTimestampsTokenId);
        return [.. prompt];
    }

    private int? ResolveTask(string taskName)
    {
        if (!Config.IsMultilingual || Config.TaskToId.Count == 0)
            return null;
        return Config.TaskToId.TryGetValue(taskName, out var id)
            ? id
            : throw new BadInputException($"Unknown task '{taskName}' for model {ModelId}; expected one of: {string.Join(", ", Config.TaskToId.Keys)}.");
    }

    private int? ResolveLanguage(string? language)
    {
        if (!Config.IsMultilingual || Config.LanguageToId.Count == 0)
            return null;
        if (string.IsNullOrWhiteSpace(language))
            return Config.ForcedLanguageId;
        var token = language.StartsWith("<|", StringComparison.Ordinal) ? language : $"<|{language.Trim().ToLowerInvariant()}|>";
        return Config.LanguageToId.TryGetValue(token, out var id)
            ? id
            : throw new BadInputException($"Unknown language '{language}' for model {ModelId}.");
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }
}
