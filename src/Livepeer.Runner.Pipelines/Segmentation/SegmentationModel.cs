using System.Security.Cryptography;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// A promptable segmentation model (SAM v1 family or SAM 2, <see cref="SegmentationDialect"/>): an image encoder run
/// once per image and a prompt decoder run per request, answering as <c>SAM2ImagePredictor.predict</c> does and as
/// ai-runner returns it (RUNNER-CONTRACT §2.6, §5.4). The embeddings of the last <see cref="CachedImages"/> images
/// are kept, so refining clicks on one image runs only the decoder. Thread-safe; concurrency is the caller's lease's to bound.
/// </summary>
public sealed class SegmentationModel : IDisposable
{
    public const int CachedImages = 4;

    private readonly SamImageEncoder _encoder;
    private readonly SamPromptDecoder _decoder;
    private readonly ImageEmbeddingCache _cache = new(CachedImages);
    private int _encoderRuns;

    private SegmentationModel(string modelId, SamImageEncoder encoder, SamPromptDecoder decoder)
    {
        ModelId = modelId;
        _encoder = encoder;
        _decoder = decoder;
    }

    public string ModelId { get; }

    public SegmentationDialect Dialect => _decoder.Dialect;

    /// <summary>How many times the encoder has run: tests use it to see the embedding cache work.</summary>
    internal int EncoderRuns => Volatile.Read(ref _encoderRuns);

    /// <summary>Opens the folder's encoder and decoder, recognised by their inputs and outputs (<see cref="SamGraphs"/>).</summary>
    public static SegmentationModel Load(string modelId, string folder, OnnxSessionFactory sessions)
    {
        var (encoder, decoder) = SamGraphs.Open(modelId, folder, sessions);
        return new SegmentationModel(modelId, encoder, decoder);
    }

    /// <summary>Segments a decoded image; its embedding is cached under a hash of its pixels.</summary>
    public async Task<SegmentationResult> SegmentAsync(RgbImage image, SegmentationPrompt prompt, CancellationToken cancellationToken)
    {
        var resolved = prompt.Resolve(image.Width, image.Height);
        // The encoder can take seconds on a CPU: off the caller's thread, like every ONNX run of a request.
        return await Task.Run(() =>
        {
            var embedding = Embed(PixelKey(image), () => image, cancellationToken);
            return Predict(embedding, resolved, cancellationToken);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Segments an uploaded image file. A file seen recently is neither decoded nor encoded again: its embedding is
    /// cached under a hash of the file's bytes. Decoding follows <see cref="ImageDecoder.Decode"/> (<paramref name="maxPixels"/>).
    /// </summary>
    public async Task<SegmentationResult> SegmentAsync(ReadOnlyMemory<byte> imageFile, long maxPixels, SegmentationPrompt prompt, CancellationToken cancellationToken)
    {
        prompt.CheckConsistent();
        return await Task.Run(() =>
        {
            var key = "file:" + Convert.ToHexString(SHA256.HashData(imageFile.Span));
            ResolvedPrompt? resolved = null;
            var embedding = Embed(key, () =>
            {
                var image = ImageDecoder.Decode(imageFile.Span, maxPixels);
                resolved = prompt.Resolve(image.Width, image.Height); // before the encoder: a bad prompt costs nothing
                return image;
            }, cancellationToken);
            return Predict(embedding, resolved ?? prompt.Resolve(embedding.Width, embedding.Height), cancellationToken);
        }, cancellationToken).ConfigureAwait(false);
    }

    private ImageEmbedding Embed(string key, Func<RgbImage> image, CancellationToken cancellationToken)
    {
        if (_cache.TryGet(key, out var cached))
            return cached;
        var decoded = image();
        var embedding = _encoder.Encode(decoded, cancellationToken);
        Interlocked.Increment(ref _encoderRuns);
        _cache.Add(key, embedding);
        return embedding;
    }

    private SegmentationResult Predict(ImageEmbedding embedding, ResolvedPrompt prompt, CancellationToken cancellationToken)
    {
        var decoded = _decoder.Decode(embedding, prompt, cancellationToken);
        var chosen = MaskSelection.Choose(decoded.Count, decoded.Scores, prompt.MultimaskOutput);
        return MaskSelection.Build(decoded, chosen, prompt);
    }

    private static string PixelKey(RgbImage image)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> size = stackalloc byte[8];
        BitConverter.TryWriteBytes(size, image.Width);
        BitConverter.TryWriteBytes(size[4..], image.Height);
        hash.AppendData(size);
        hash.AppendData(image.Pixels);
        return "rgb:" + Convert.ToHexString(hash.GetHashAndReset());
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }
}
