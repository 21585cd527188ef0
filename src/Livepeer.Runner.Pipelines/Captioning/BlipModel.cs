using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Microsoft.ML.OnnxRuntime;
using Livepeer.Runner.Pipelines.Checks;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>
/// BLIP image captioning (BlipForConditionalGeneration.generate with the model's defaults) on ONNX Runtime, from the
/// project's layout (MODEL-FORMATS §5): <c>encoder_model.onnx</c> (ViT, <c>pixel_values</c> → <c>last_hidden_state</c>)
/// and the cached text decoder shared with Whisper (<see cref="Seq2SeqDecoder"/>, merged or split). The decoder starts
/// from <c>[DEC]</c> plus the prompt's WordPiece ids (its <c>[CLS]</c> replaced, its <c>[SEP]</c> dropped), goes
/// greedy until <c>[SEP]</c> or the length limit, and the whole sequence is decoded with special tokens skipped, so a
/// caption begins with its (lower-cased) prompt.
/// <para>
/// The model holds no per-request state: sessions, tokenizer and processor are only read, every run has its own
/// buffers and cache, and ONNX Runtime's Run is thread-safe, so concurrent calls are safe; how many run at once is the
/// model manager's lease to decide.
/// </para>
/// </summary>
public sealed class BlipModel : IDisposable
{
    /// <summary>Images encoded and decoded together by the list overload, unless the graph fixes its batch axis.</summary>
    public const int MaxBatch = 8;

    private const string PixelValues = "pixel_values";
    private const string LastHiddenState = "last_hidden_state";

    private readonly InferenceSession _encoder;
    private readonly Seq2SeqDecoder _decoder;

    private BlipModel(string modelId, InferenceSession encoder, Seq2SeqDecoder decoder, BlipConfig config, BlipImageProcessor processor, BertWordPieceTokenizer tokenizer)
    {
        ModelId = modelId;
        _encoder = encoder;
        _decoder = decoder;
        Config = config;
        Processor = processor;
        Tokenizer = tokenizer;
        if (!encoder.InputMetadata.TryGetValue(PixelValues, out var input) || !encoder.OutputMetadata.ContainsKey(LastHiddenState))
            throw new ModelLoadException(modelId, $"{modelId}: encoder_model.onnx must take {PixelValues} and give {LastHiddenState}.");
        var dims = input.Dimensions;
        if (dims.Length != 4 || dims[1] is not (3 or -1)
            || (processor.DoResize && ((dims[2] > 0 && dims[2] != processor.Height) || (dims[3] > 0 && dims[3] != processor.Width))))
        {
            throw new ModelLoadException(modelId, $"{modelId}: the encoder takes {PixelValues} [{string.Join(",", dims)}], but preprocessor_config.json resizes to {processor.Height}×{processor.Width}.");
        }

        BatchSize = dims[0] > 0 ? Math.Min(dims[0], MaxBatch) : MaxBatch;
    }

    public string ModelId { get; }
    public BlipConfig Config { get; }
    public BlipImageProcessor Processor { get; }
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>Images per encoder call in the list overload: <see cref="MaxBatch"/> unless the graph fixes its batch axis.</summary>
    public int BatchSize { get; }

    /// <summary>Opens a BLIP folder; one whose <c>config.json</c> is not a BLIP captioner (<see cref="BlipConfig.IsBlipCaptioner"/>) is refused.</summary>
    /// <exception cref="ModelLoadException">Not a BLIP folder, or its files are missing or unusable.</exception>
    private const string EncoderFile = "encoder_model.onnx";

    /// <summary>What <see cref="Load"/> reads: a BLIP config, the image processor, a WordPiece tokenizer, the ViT encoder and the decoder.</summary>
    internal static ModelRequirements? Requirements(string folder)
    {
        try
        {
            if (!Directory.Exists(folder) || ModelFolderJson.Read(Path.Combine(folder, "config.json")) is not { } json || !BlipConfig.IsBlipCaptioner(json))
                return null;
        }
        catch (JsonException)
        {
            return null;
        }

        return new ModelRequirements("blip",
            [
                FileNeed.Of("the BLIP config", "config.json"),
                FileNeed.Of("the image processor", "preprocessor_config.json"),
                FileNeed.Of("the WordPiece tokenizer", "tokenizer.json", "vocab.txt"),
            ],
            [
                new GraphNeed("vision encoder", [EncoderFile], [new TensorNeed([PixelValues], ["Float"], 4)], [TensorNeed.Named(LastHiddenState)]),
                .. Seq2SeqDecoder.Requirements(folder, "", "text decoder"),
            ]);
    }

    public static BlipModel Load(string modelId, string folder, OnnxSessionFactory sessions)
    {
        BlipConfig config;
        BlipImageProcessor processor;
        BertWordPieceTokenizer tokenizer;
        try
        {
            if (ModelFolderJson.Read(Path.Combine(folder, "config.json")) is not { } json || !BlipConfig.IsBlipCaptioner(json))
                throw new ModelLoadException(modelId, $"{modelId}: '{folder}' is not a BLIP captioning model (its config.json must say model_type \"blip\" and, if it lists architectures, BlipForConditionalGeneration).");
            config = BlipConfig.From(json, ModelFolderJson.Read(Path.Combine(folder, "generation_config.json")));
            processor = BlipImageProcessor.Load(Path.Combine(folder, "preprocessor_config.json"));
            tokenizer = BertWordPieceTokenizer.Load(folder);
        }
        catch (Exception e) when (ModelFolderJson.IsUnreadable(e))
        {
            throw new ModelLoadException(modelId, $"{modelId}: could not read the BLIP files in '{folder}': {e.Message}", e);
        }

        var encoderPath = Path.Combine(folder, EncoderFile);
        if (!File.Exists(encoderPath))
            throw new ModelLoadException(modelId, $"{modelId} has no encoder_model.onnx.");
        var encoder = sessions.Create(modelId, encoderPath);
        try
        {
            var decoder = Seq2SeqDecoder.Load(modelId, folder, sessions);
            try
            {
                return new BlipModel(modelId, encoder, decoder, config, processor, tokenizer);
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

    /// <summary>Captions one image; <paramref name="prompt"/> (may be empty) starts the caption, which includes it.</summary>
    public Task<string> CaptionAsync(RgbImage image, string prompt, CancellationToken cancellationToken) =>
        Run(() => Caption([image], prompt, null, cancellationToken)[0], cancellationToken);

    /// <summary>Captions several images with one prompt: one encoder call and one decode per <see cref="BatchSize"/> images.</summary>
    public Task<IReadOnlyList<string>> CaptionAsync(IReadOnlyList<RgbImage> images, string prompt, CancellationToken cancellationToken) =>
        Run(() => (IReadOnlyList<string>)Caption(images, prompt, null, cancellationToken), cancellationToken);

    /// <summary>The decoder's start: <c>[DEC]</c> then the prompt's ids (BlipForConditionalGeneration.generate).</summary>
    public int[] PromptIds(string prompt) => PromptIds(Tokenizer, Config.BosTokenId, prompt);

    /// <summary>
    /// The prompt as transformers encodes it (<c>[CLS] … [SEP]</c>), with <c>input_ids[:, 0]</c> set to bos and the
    /// trailing <c>[SEP]</c> cut (<c>input_ids[:, :-1]</c>).
    /// </summary>
    internal static int[] PromptIds(BertWordPieceTokenizer tokenizer, int bosTokenId, string prompt)
    {
        var ids = tokenizer.Encode(prompt ?? "", addSpecialTokens: true);
        if (ids.Count < 2 || tokenizer.ClsId is null || tokenizer.SepId is null)
            throw new InvalidOperationException("The tokenizer must add [CLS] and [SEP].");
        ids[0] = bosTokenId;
        ids.RemoveAt(ids.Count - 1);
        return [.. ids];
    }

    /// <summary>The caption of each image; <paramref name="onToken"/> sees (image index, token) as each token is chosen.</summary>
    internal string[] Caption(IReadOnlyList<RgbImage> images, string prompt, Action<int, int>? onToken, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(images.Count);
        var promptIds = PromptIds(prompt);
        if (promptIds.Length >= Config.MaxPositionEmbeddings)
            throw new BadInputException($"The prompt is {promptIds.Length} tokens long; {ModelId} takes fewer than {Config.MaxPositionEmbeddings}.");

        var captions = new string[images.Count];
        for (var first = 0; first < images.Count; first += BatchSize)
        {
            var count = Math.Min(BatchSize, images.Count - first);
            var offset = first;
            var generated = Generate(images, first, count, promptIds, onToken is null ? null : (row, token) => onToken(offset + row, token), cancellationToken);
            for (var row = 0; row < count; row++)
                captions[first + row] = Tokenizer.Decode(promptIds.Concat(generated[row]));
        }

        return captions;
    }

    private List<int>[] Generate(IReadOnlyList<RgbImage> images, int first, int count, int[] promptIds, Action<int, int>? onToken, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (height, width) = Processor.OutputSize(images[first].Width, images[first].Height);
        var plane = 3 * height * width;
        var pixels = new float[count * plane];
        for (var row = 0; row < count; row++)
        {
            var image = images[first + row];
            if (Processor.OutputSize(image.Width, image.Height) != (height, width))
                throw new BadInputException($"{ModelId} does not resize its input, and the images of one batch differ in size.");
            Processor.Process(image, pixels.AsSpan(row * plane, plane));
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var pixelValue = OrtValue.CreateTensorValueFromMemory(pixels, [count, 3, height, width]);
        // The image states only feed the decoder: on a GPU they stay there for every step.
        using var encoded = OnnxRun.RunKeepingOnDevice(_encoder, [PixelValues], [pixelValue], [LastHiddenState], null, _decoder.Device, cancellationToken);
        var prompts = Enumerable.Repeat(promptIds, count).ToArray();
        return Seq2SeqGreedy.Generate(_decoder, encoded[0], prompts, Config.NewTokensAfter(promptIds.Length), Config.SepTokenId, rule: null, onToken, cancellationToken);
    }

    // The work is compute-bound and runs on the caller's thread, as the other engines' does; failures and
    // cancellation come back through the task rather than as a synchronous throw.
    private static Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(work());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }
}
