using System.Numerics.Tensors;
using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Media;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>What the VAE encoder gave for one image: the distribution's mean and log-variance, or (legacy exports) a sample already drawn.</summary>
public sealed record EncodedLatents(float[] Mean, float[]? LogVariance)
{
    /// <summary>
    /// A draw from the posterior, diffusers' DiagonalGaussianDistribution.sample: mean + exp(½·clamp(logvar, −30, 20))·ε,
    /// ε from <paramref name="noise"/> (written to <paramref name="epsilon"/>); the mean itself when there is no
    /// log-variance, and then no noise is drawn.
    /// </summary>
    public void Sample(INoiseSource noise, Span<float> epsilon, Span<float> destination)
    {
        Mean.CopyTo(destination);
        if (LogVariance is not { } logVariance)
            return;
        noise.NextGaussian(epsilon);
        for (var i = 0; i < Mean.Length; i++)
            destination[i] += MathF.Exp(0.5f * Math.Clamp(logVariance[i], -30f, 20f)) * epsilon[i];
    }
}

/// <summary>
/// The VAE decoder (and encoder, for image-to-image) with the scaling factor from <c>vae_decoder/config.json</c>
/// (MODEL-FORMATS §1.5). Shapes come from the graphs: the latent channel count is read from the decoder's input. Graphs
/// that take and give float16 (fp16 exports) are fed and read through float32 host buffers.
/// </summary>
public sealed class DiffusionVae : IDisposable
{
    /// <summary>AutoencoderKL's default scaling factor, for a diffusers VAE whose config does not state one.</summary>
    private const float DefaultScalingFactor = 0.18215f;

    private const string NumFrames = "num_frames";

    private readonly InferenceSession _decoder;
    private readonly InferenceSession? _encoder;
    private readonly string _decoderInput;
    private readonly Type _decoderInputType;
    private readonly string? _encoderInput;
    private readonly Type? _encoderInputType;
    private readonly string? _encoderOutput;

    /// <summary>The decoder's latent input: diffusers' <c>latent_sample</c>, or TAESD's <c>latent</c>.</summary>
    internal static readonly string[] DecoderInputs = ["latent_sample", "latent"];

    internal static readonly string[] EncoderInputs = ["sample", "image", "images"];

    internal static readonly string[] EncoderOutputs = ["latent_parameters", "latent_sample", "latent"];

    /// <summary>
    /// Two conventions, told apart by the graphs' names: diffusers/optimum (<c>latent_sample</c> → image in [-1, 1];
    /// encoder <c>sample</c> → <c>latent_parameters</c> or <c>latent_sample</c>) and TAESD-style tiny autoencoders
    /// (<c>latent</c> → image in [0, 1]; encoder <c>image</c> → <c>latent</c>; no scaling factor). A caller that knows
    /// better says so: Black Forest Labs' decoder takes <c>latent</c> but gives [-1, 1] images (<paramref name="unitRange"/>
    /// false), and keeps its config elsewhere (<paramref name="configPath"/>; default <c>vae_decoder/config.json</c>).
    /// </summary>
    public DiffusionVae(string modelId, string folder, InferenceSession decoder, InferenceSession? encoder, int tileLatents = 0,
        string? configPath = null, bool? unitRange = null)
    {
        _decoder = decoder;
        _encoder = encoder;
        TileLatents = tileLatents;
        _decoderInput = DecoderInputs.FirstOrDefault(decoder.InputMetadata.ContainsKey)
            ?? throw new ModelLoadException(modelId, $"The VAE decoder of {modelId} has neither a 'latent_sample' nor a 'latent' input.");
        UnitRange = unitRange ?? _decoderInput == DecoderInputs[1];
        var latent = decoder.InputMetadata[_decoderInput];
        _decoderInputType = latent.ElementType;
        if (!FloatTensor.IsFloat(_decoderInputType))
            throw new ModelLoadException(modelId, $"The VAE decoder of {modelId} takes {_decoderInputType.Name} latents; expected float32 or float16.");

        var config = ModelFolderJson.Read(configPath ?? Path.Combine(folder, "vae_decoder", "config.json"));
        LatentChannels = latent.Dimensions is [_, > 0 and var c, ..] ? c : IntOf(config, "latent_channels") ?? 4;
        var blocks = config is { } json && json.TryGetProperty("block_out_channels", out var b) && b.ValueKind == JsonValueKind.Array ? b.GetArrayLength() : 4;
        ScalingFactor = config is { } j && j.TryGetProperty("scaling_factor", out var s) && s.ValueKind == JsonValueKind.Number
            ? s.GetSingle()
            : UnitRange ? 1f : DefaultScalingFactor;
        ShiftFactor = config is { } k && k.TryGetProperty("shift_factor", out var shift) && shift.ValueKind == JsonValueKind.Number ? shift.GetSingle() : 0f;
        DownFactor = 1 << (blocks - 1);

        if (encoder is not null)
        {
            _encoderInput = EncoderInputs.FirstOrDefault(encoder.InputMetadata.ContainsKey)
                ?? throw new ModelLoadException(modelId, $"The VAE encoder of {modelId} has none of the inputs 'sample', 'image', 'images'.");
            _encoderOutput = EncoderOutputs.FirstOrDefault(encoder.OutputNames.Contains)
                ?? throw new ModelLoadException(modelId, $"The VAE encoder of {modelId} has none of the outputs 'latent_parameters', 'latent_sample', 'latent'.");
            _encoderInputType = encoder.InputMetadata[_encoderInput].ElementType;
            if (!FloatTensor.IsFloat(_encoderInputType))
                throw new ModelLoadException(modelId, $"The VAE encoder of {modelId} takes {_encoderInputType.Name} images; expected float32 or float16.");
        }
    }

    /// <summary>Whether images are in [0, 1] at the graph boundary (TAESD) rather than [-1, 1] (diffusers).</summary>
    public bool UnitRange { get; }

    public int LatentChannels { get; }

    public float ScalingFactor { get; }

    /// <summary>
    /// The latent mean the 16-channel VAEs of Flux and SD3 subtract before scaling (<c>shift_factor</c>; 0 when the
    /// config has none, as for SD and SDXL): latents go to the decoder as z/scaling + shift.
    /// </summary>
    public float ShiftFactor { get; }

    /// <summary>Pixels per latent along each side (8 for SD and SDXL).</summary>
    public int DownFactor { get; }

    public bool CanEncode => _encoder is not null;

    /// <summary>Latent side above which <see cref="Decode"/> goes tile by tile; 0: never.</summary>
    public int TileLatents { get; }

    /// <summary>
    /// latent / scaling_factor + shift_factor → decoder → (x/2 + 0.5) clamped, rounded to bytes. Latents larger than
    /// <see cref="TileLatents"/> on a side decode as overlapping tiles blended linearly across the overlap (the idea
    /// of diffusers' tiled VAE decode), so the decoder's memory stays that of one tile whatever the image size.
    /// </summary>
    public RgbImage Decode(ReadOnlySpan<float> latents, int latentHeight, int latentWidth, CancellationToken cancellationToken)
    {
        var scaled = new float[latents.Length];
        TensorPrimitives.Divide(latents, ScalingFactor, scaled);
        if (ShiftFactor != 0)
            TensorPrimitives.Add(scaled, ShiftFactor, scaled);
        var height = latentHeight * DownFactor;
        var width = latentWidth * DownFactor;
        var sum = new float[3 * height * width];
        var weight = new float[height * width];
        foreach (var tile in VaeTiles.Plan(latentHeight, latentWidth, TileLatents))
        {
            var input = VaeTiles.Crop(scaled, LatentChannels, latentHeight, latentWidth, tile);
            using var value = FloatTensor.Input(input, [1, LatentChannels, tile.Height, tile.Width], _decoderInputType);
            using var results = OnnxRun.Run(_decoder, [_decoderInput], [value], [_decoder.OutputNames[0]], cancellationToken);
            VaeTiles.Accumulate(FloatTensor.AsFloats(results[0]), 3, tile, DownFactor, VaeTiles.Overlap(TileLatents), latentHeight, latentWidth, sum, weight, width, height);
        }

        var plane = height * width;
        var image = new RgbImage(width, height);
        var pixels = image.Pixels;
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
                pixels[(p * 3) + c] = ToByte(sum[(c * plane) + p] / weight[p], UnitRange);
        }

        return image;
    }

    /// <summary>RGB bytes → [-1, 1] planar → encoder.</summary>
    public EncodedLatents Encode(RgbImage image, CancellationToken cancellationToken) =>
        EncodePlanar(ToPlanar(image), image.Width, image.Height, cancellationToken);

    /// <summary>
    /// A planar <c>[3, height, width]</c> image already in the VAE's range (<see cref="ToPlanar"/>, then perhaps
    /// noise-augmented, as Stable Video Diffusion does) → encoder, tile by tile above <see cref="TileLatents"/>.
    /// </summary>
    public EncodedLatents EncodePlanar(float[] planar, int width, int height, CancellationToken cancellationToken)
    {
        var encoder = _encoder ?? throw new InvalidOperationException("This model has no VAE encoder.");
        int latentHeight = height / DownFactor, latentWidth = width / DownFactor;
        var tiles = VaeTiles.Plan(latentHeight, latentWidth, TileLatents);
        float[]? sum = null;
        var weight = new float[latentHeight * latentWidth];
        var channels = 0;
        foreach (var tile in tiles)
        {
            var pixels = new VaeTiles.Tile(tile.Y * DownFactor, tile.X * DownFactor, tile.Height * DownFactor, tile.Width * DownFactor);
            var region = tiles.Count == 1 && pixels.Width == width && pixels.Height == height ? planar : VaeTiles.Crop(planar, 3, height, width, pixels);
            using var input = FloatTensor.Input(region, [1, 3, pixels.Height, pixels.Width], _encoderInputType!);
            using var results = OnnxRun.Run(encoder, [_encoderInput!], [input], [_encoderOutput!], cancellationToken);
            var output = FloatTensor.AsFloats(results[0]);
            channels = output.Length / (tile.Height * tile.Width);
            sum ??= new float[channels * latentHeight * latentWidth];
            VaeTiles.Accumulate(output, channels, tile, 1, VaeTiles.Overlap(TileLatents), latentHeight, latentWidth, sum, weight, latentWidth, latentHeight);
        }

        var plane = latentHeight * latentWidth;
        for (var c = 0; c < channels; c++)
            TensorPrimitives.Divide(sum.AsSpan(c * plane, plane), weight, sum.AsSpan(c * plane, plane));
        if (_encoderOutput is "latent_sample" or "latent")
            return new EncodedLatents(sum!, null);

        // latent_parameters: the first half of the channels is the mean, the second the log-variance (MODEL-FORMATS §1.3).
        var half = sum!.Length / 2;
        return new EncodedLatents(sum[..half], sum[half..]);
    }

    /// <summary>RGB bytes → planar <c>[3, height, width]</c> floats in the VAE's range ([-1, 1], or [0, 1] for TAESD).</summary>
    public float[] ToPlanar(RgbImage image) => Planar(image, new VaeTiles.Tile(0, 0, image.Height, image.Width));

    /// <summary>
    /// Decodes <paramref name="count"/> latents stacked <c>[count, channels, h, w]</c> (already divided by the scaling
    /// factor) in one decoder call, and appends the frames to <paramref name="frames"/>. A temporal decoder
    /// (Stable Video Diffusion's, MODEL-FORMATS §3) also gets <paramref name="videoFrames"/>, the frames it regroups
    /// <c>batch_frames</c> by, when the graph takes a <c>num_frames</c> input.
    /// </summary>
    public void DecodeBatch(ReadOnlySpan<float> latents, int count, int latentHeight, int latentWidth, long videoFrames, List<RgbImage> frames, CancellationToken cancellationToken)
    {
        var input = latents.ToArray();
        using var value = FloatTensor.Input(input, [count, LatentChannels, latentHeight, latentWidth], _decoderInputType);
        using var numFrames = TakesNumFrames ? OrtValue.CreateTensorValueFromMemory(new[] { videoFrames }, []) : null;
        using var results = numFrames is null
            ? OnnxRun.Run(_decoder, [_decoderInput], [value], [_decoder.OutputNames[0]], cancellationToken)
            : OnnxRun.Run(_decoder, [_decoderInput, NumFrames], [value, numFrames], [_decoder.OutputNames[0]], cancellationToken);
        var decoded = FloatTensor.AsFloats(results[0]);
        int height = latentHeight * DownFactor, width = latentWidth * DownFactor, plane = height * width;
        for (var f = 0; f < count; f++)
        {
            var image = new RgbImage(width, height);
            var frame = decoded.Slice(f * 3 * plane, 3 * plane);
            for (var p = 0; p < plane; p++)
            {
                for (var c = 0; c < 3; c++)
                    image.Pixels[(p * 3) + c] = ToByte(frame[(c * plane) + p], UnitRange);
            }

            frames.Add(image);
        }
    }

    /// <summary>The decoder takes <c>num_frames</c> (a temporal decoder whose export kept it an input).</summary>
    public bool TakesNumFrames => _decoder.InputMetadata.ContainsKey(NumFrames);

    /// <summary>A temporal decoder's fixed <c>batch_frames</c> when the export baked it in; 0 when the axis is free.</summary>
    public int FixedBatchFrames => _decoder.InputMetadata[_decoderInput].Dimensions is [> 0 and var n, ..] ? n : 0;

    /// <summary>RGB bytes of <paramref name="region"/> → planar floats in the VAE's range ([-1, 1], or [0, 1] for TAESD).</summary>
    private float[] Planar(RgbImage image, VaeTiles.Tile region)
    {
        var plane = region.Height * region.Width;
        var planar = new float[3 * plane];
        var pixels = image.Pixels;
        for (var y = 0; y < region.Height; y++)
        {
            for (var x = 0; x < region.Width; x++)
            {
                var source = (((region.Y + y) * image.Width) + region.X + x) * 3;
                var target = (y * region.Width) + x;
                for (var c = 0; c < 3; c++)
                    planar[(c * plane) + target] = UnitRange ? pixels[source + c] / 255f : (pixels[source + c] / 127.5f) - 1f;
            }
        }

        return planar;
    }

    private static byte ToByte(float value, bool unitRange) =>
        (byte)MathF.Round(Math.Clamp(unitRange ? value : (value / 2f) + 0.5f, 0f, 1f) * 255f);


    private static int? IntOf(JsonElement? config, string name) =>
        config is { } json && json.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : null;

    public void Dispose()
    {
        _decoder.Dispose();
        _encoder?.Dispose();
    }
}
