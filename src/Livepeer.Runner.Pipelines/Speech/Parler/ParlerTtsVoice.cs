using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Livepeer.Runner.Pipelines.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Speech.Parler;

/// <summary>
/// Parler-TTS (ParlerTTSForConditionalGeneration.generate with the model's defaults) on ONNX Runtime, from the
/// project's layout (MODEL-FORMATS §7.1): the <c>description</c> through <c>text_encoder.onnx</c> (T5, the projection
/// folded in), the text through <c>prompt_embed.onnx</c>, whose states the decoder prepends to its first step, the
/// 9-codebook <c>decoder_model_merged.onnx</c> sampled under the delay pattern (<see cref="ParlerSampling"/>) with its
/// KV cache kept across steps (<see cref="Seq2SeqDecoder"/>), and <c>dac_decode.onnx</c> to 44.1 kHz audio. Both texts
/// use the folder's T5 <c>tokenizer.json</c>. Text longer than <see cref="ChunkChars"/> is spoken a sentence group at
/// a time (<see cref="SentenceChunks"/>) and the audio joined; the description is encoded once per request.
/// <para>
/// The model holds no per-request state (sessions and tokenizer are only read; each request has its own cache,
/// buffers and sampler), so concurrent requests are safe; the model manager's lease decides how many run at once.
/// </para>
/// </summary>
public sealed class ParlerTtsVoice : ISpeechVoice
{
    /// <summary>Characters spoken per decoder run: the reference speaks about 30 s at most, some 600 characters of prose.</summary>
    public const int ChunkChars = 600;

    /// <summary>Description tokens accepted (T5's <c>model_max_length</c>).</summary>
    public const int MaxDescriptionTokens = 512;

    /// <summary>Longer descriptions are refused before they are tokenized.</summary>
    public const int MaxDescriptionChars = 20_000;

    private readonly InferenceSession _textEncoder;
    private readonly InferenceSession _promptEmbed;
    private readonly Seq2SeqDecoder _decoder;
    private readonly InferenceSession _codec;

    private ParlerTtsVoice(string modelId, ParlerConfig config, UnigramTokenizer tokenizer, InferenceSession textEncoder, InferenceSession promptEmbed, Seq2SeqDecoder decoder, InferenceSession codec)
    {
        ModelId = modelId;
        Config = config;
        Tokenizer = tokenizer;
        _textEncoder = textEncoder;
        _promptEmbed = promptEmbed;
        _decoder = decoder;
        _codec = codec;
    }

    public string ModelId { get; }
    public ParlerConfig Config { get; }
    internal UnigramTokenizer Tokenizer { get; }

    /// <summary>
    /// Memory one request's tensors may take: the self-attention cache of <c>max_length</c> columns (keys and values,
    /// every layer, float32) plus the audio; from the folder's config, 2 GiB when it cannot be read.
    /// </summary>
    public static long ActivationBytes(string folder)
    {
        try
        {
            if (ModelFolderJson.Read(Path.Combine(folder, "config.json")) is not { } json)
                return 2L << 30;
            var config = ParlerConfig.From(json, ModelFolderJson.Read(Path.Combine(folder, "generation_config.json")));
            var cache = 2L * config.Layers * (config.MaxLength + 1024) * config.HiddenSize * sizeof(float);
            var audio = (long)config.MaxLength * config.HopLength * sizeof(float) * 2;
            return cache + audio + (64L << 20);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return 2L << 30;
        }
    }

    /// <exception cref="ModelLoadException">Not a Parler-TTS folder, or its files are missing or unusable.</exception>
    public static ParlerTtsVoice Load(string modelId, string folder, OnnxSessionFactory sessions)
    {
        ParlerConfig config;
        UnigramTokenizer tokenizer;
        try
        {
            if (ModelFolderJson.Read(Path.Combine(folder, "config.json")) is not { } json || !ParlerConfig.IsParler(json))
                throw new ModelLoadException(modelId, $"{modelId}: '{folder}' is not a Parler-TTS model (its config.json must say model_type \"parler_tts\").");
            config = ParlerConfig.From(json, ModelFolderJson.Read(Path.Combine(folder, "generation_config.json")));
            tokenizer = UnigramTokenizer.Load(Path.Combine(folder, "tokenizer.json"));
        }
        catch (Exception e) when (ModelFolderJson.IsUnreadable(e))
        {
            throw new ModelLoadException(modelId, $"{modelId}: could not read the Parler-TTS files in '{folder}': {e.Message}", e);
        }

        foreach (var file in (string[])["text_encoder.onnx", "prompt_embed.onnx", "dac_decode.onnx"])
        {
            if (!File.Exists(Path.Combine(folder, file)))
                throw new ModelLoadException(modelId, $"{modelId} has no {file} (MODEL-FORMATS §7.1).");
        }

        var opened = new List<IDisposable>();
        try
        {
            var textEncoder = Open(sessions, modelId, folder, "text_encoder.onnx", opened);
            var promptEmbed = Open(sessions, modelId, folder, "prompt_embed.onnx", opened);
            var codec = Open(sessions, modelId, folder, "dac_decode.onnx", opened);
            var decoder = Seq2SeqDecoder.Load(modelId, folder, sessions);
            opened.Add(decoder);
            return new ParlerTtsVoice(modelId, config, tokenizer, textEncoder, promptEmbed, decoder, codec);
        }
        catch
        {
            foreach (var session in opened)
                session.Dispose();
            throw;
        }
    }

    private static InferenceSession Open(OnnxSessionFactory sessions, string modelId, string folder, string file, List<IDisposable> opened)
    {
        var session = sessions.Create(modelId, Path.Combine(folder, file));
        opened.Add(session);
        return session;
    }

    public Task<MonoAudio> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(MonoAudio.Join(SpeakChunks(request, cancellationToken), TimeSpan.Zero));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<MonoAudio>(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<MonoAudio>(e);
        }
    }

    /// <summary>The audio of each piece of the text (<see cref="SentenceChunks"/>, one decoder run each), in order; one sampler runs through them all.</summary>
    /// <exception cref="BadInputException">The description is too long.</exception>
    public IReadOnlyList<MonoAudio> SpeakChunks(SpeechRequest request, CancellationToken cancellationToken)
    {
        if (request.Description.Length > MaxDescriptionChars)
            throw new BadInputException($"The description is {request.Description.Length} characters long; {ModelId} takes at most {MaxDescriptionChars}.");
        var descriptionIds = Tokenizer.Encode(request.Description);
        if (descriptionIds.Count > MaxDescriptionTokens)
            throw new BadInputException($"The description is {descriptionIds.Count} tokens long; {ModelId} takes at most {MaxDescriptionTokens}.");

        var chunks = SentenceChunks.Split(request.Text, ChunkChars);
        if (chunks.Count == 0)
            chunks = [request.Text.Trim()]; // nothing but whitespace: said as the reference says "", one </s>
        var sampler = new TokenSampler(Config.SamplingTemperature, Config.TopP, Config.TopK, request.Seed);

        cancellationToken.ThrowIfCancellationRequested();
        var ids = descriptionIds.Select(id => (long)id).ToArray();
        var ones = Enumerable.Repeat(1L, ids.Length).ToArray();
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var mask = OrtValue.CreateTensorValueFromMemory(ones, [1, ones.Length]);
        string[] encoderInputs = _textEncoder.InputMetadata.ContainsKey("attention_mask") ? ["input_ids", "attention_mask"] : ["input_ids"];
        // The description's states (unpadded, so the mask multiplies nothing) only feed the decoder: they stay on its device.
        using var encoded = OnnxRun.RunKeepingOnDevice(_textEncoder, encoderInputs, [idsValue, mask], ["last_hidden_state"], null, _decoder.Device, cancellationToken);

        var parts = new List<MonoAudio>(chunks.Count);
        foreach (var chunk in chunks)
            parts.Add(SpeakChunk(chunk, encoded[0], mask, sampler, cancellationToken));
        return parts;
    }

    private MonoAudio SpeakChunk(string text, OrtValue encoderHidden, OrtValue encoderMask, TokenSampler sampler, CancellationToken cancellationToken)
    {
        var promptIds = Tokenizer.Encode(text).Select(id => (long)id).ToArray();
        using var promptValue = OrtValue.CreateTensorValueFromMemory(promptIds, [1, promptIds.Length]);
        using var prompt = OnnxRun.RunKeepingOnDevice(_promptEmbed, ["prompt_input_ids"], [promptValue], ["prompt_hidden_states"], null, _decoder.Device, cancellationToken);
        var width = prompt[0].GetTensorTypeAndShape().Shape[2];
        using var noPrompt = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [1, 0, width]);
        var inputs = new DecoderInputs(["encoder_attention_mask", "prompt_hidden_states"], [encoderMask, prompt[0]], [encoderMask, noPrompt], CacheBatch: 1);

        var (sequence, columns) = ParlerSampling.Generate(_decoder, encoderHidden, inputs, Config, sampler, cancellationToken);
        var pattern = new DelayPattern(Config.NumCodebooks, Config.MaxLength, Config.BosTokenId, Config.PadTokenId);
        var (codes, frames) = DelayPattern.Decodable(pattern.Revert(sequence, columns), Config.CodebookSize);
        return frames == 0 ? new MonoAudio([0f], Config.SampleRate) : Decode(codes, frames, cancellationToken);
    }

    private MonoAudio Decode(long[] codes, int frames, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var input = OrtValue.CreateTensorValueFromMemory(codes, [1, Config.NumCodebooks, frames]);
        using var output = OnnxRun.Run(_codec, ["audio_codes"], [input], ["audio_values"], cancellationToken);
        return new MonoAudio(output[0].GetTensorDataAsSpan<float>().ToArray(), Config.SampleRate);
    }

    public void Dispose()
    {
        _textEncoder.Dispose();
        _promptEmbed.Dispose();
        _decoder.Dispose();
        _codec.Dispose();
    }
}
