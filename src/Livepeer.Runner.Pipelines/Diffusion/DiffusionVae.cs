using System.Numerics.Tensors;
using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Imaging;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>What the VAE encoder gave for one image: the distribution's mean and log-variance, or (legacy exports) a sample already drawn.</summary>
public sealed record EncodedLatents(float[] Mean, float[]? LogVariance);

/// <summary>
/// The VAE decoder (and encoder, for image-to-image) with the scaling factor from <c>vae_decoder/config.json</c>
/// (MODEL-FORMATS §1.5). Shapes come from the graphs: the latent channel count is read from the decoder's input.
/// </summary>
public sealed class DiffusionVae : IDisposable
{
    private const string DecoderInput = "latent_sample";
    private const string EncoderInput = "sample";
    private readonly InferenceSession _decoder;
    private readonly InferenceSession? _encoder;
    private readonly string? _encoderOutput;

    public DiffusionVae(string modelId, string folder, InferenceSession decoder, InferenceSession? encoder, int tileLatents = 0)
    {
        _decoder = decoder;
        TileLatents = tileLatents;
        _encoder = encoder;
        if (!decoder.InputMetadata.TryGetValue(DecoderInput, out var latent))
            throw new ModelLoadException(modelId, $"The VAE decoder of {modelId} has no '{DecoderInput}' input.");
        var config = ModelFolderJson.Read(Path.Combine(folder, "vae_decoder", "config.json"));
        LatentChannels = latent.Dimensions is [_, > 0 and var c, ..] ? c : IntOf(config, "latent_channels") ?? 4;
        var blocks = config is { } json && json.TryGetProperty("block_out_channels", out var b) && b.ValueKind == JsonValueKind.Array ? b.GetArrayLength() : 4;
        // Like the optimum runtime: scaling_factor, or 2^(blocks-1) when the config lacks it.
        ScalingFactor = config is { } j && j.TryGetProperty("scaling_factor", out var s) && s.ValueKind == JsonValueKind.Number
            ? s.GetSingle()
            : MathF.Pow(2, blocks - 1);
        DownFactor = 1 << (blocks - 1);

        if (encoder is not null)
        {
            _encoderOutput = encoder.OutputNames.Contains("latent_parameters") ? "latent_parameters"
                : encoder.OutputNames.Contains("latent_sample") ? "latent_sample"
                : throw new ModelLoadException(modelId, $"The VAE encoder of {modelId} has neither 'latent_parameters' nor 'latent_sample' output.");
            if (!encoder.InputMetadata.ContainsKey(EncoderInput))
                throw new ModelLoadException(modelId, $"The VAE encoder of {modelId} has no '{EncoderInput}' input.");
        }
    }

    public int LatentChannels { get; }

    public float ScalingFactor { get; }

    /// <summary>Pixels per latent along each side (8 for SD and SDXL).</summary>
    public int DownFactor { get; }

    public bool CanEncode => _encoder is not null;

    /// <summary>Latent side above which <see cref="Decode"/> goes tile by tile; 0: never.</summary>
    public int TileLatents { get; }

    /// <summary>
    /// latent / scaling_factor → decoder → (x/2 + 0.5) clamped, rounded to bytes. Latents larger than
    /// <see cref="TileLatents"/> on a side decode as overlapping tiles blended linearly across the overlap (the idea
    /// of diffusers' tiled VAE decode), so the decoder's memory stays that of one tile whatever the image size.
    /// </summary>
    public RgbImage Decode(ReadOnlySpan<float> latents, int latentHeight, int latentWidth, CancellationToken cancellationToken)
    {
        var scaled = new float[latents.Length];
        TensorPrimitives.Divide(latents, ScalingFactor, scaled);
        var height = latentHeight * DownFactor;
        var width = latentWidth * DownFactor;
        var sum = new float[3 * height * width];
        var weight = new float[height * width];
        foreach (var tile in VaeTiles.Plan(latentHeight, latentWidth, TileLatents))
        {
            var input = VaeTiles.Crop(scaled, LatentChannels, latentHeight, latentWidth, tile);
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, LatentChannels, tile.Height, tile.Width]);
            using var results = OnnxRun.Run(_decoder, [DecoderInput], [value], [_decoder.OutputNames[0]], cancellationToken);
            VaeTiles.Accumulate(results[0].GetTensorDataAsSpan<float>(), tile, DownFactor, VaeTiles.Overlap(TileLatents), latentHeight, latentWidth, sum, weight, width, height);
        }

        var plane = height * width;
        var image = new RgbImage(width, height);
        var pixels = image.Pixels;
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
                pixels[(p * 3) + c] = ToByte(sum[(c * plane) + p] / weight[p]);
        }

        return image;
    }

    /// <summary>RGB bytes → [-1, 1] planar → encoder.</summary>
    public EncodedLatents Encode(RgbImage image, CancellationToken cancellationToken)
    {
        var encoder = _encoder ?? throw new InvalidOperationException("This model has no VAE encoder.");
        var plane = image.Width * image.Height;
        var planar = new float[3 * plane];
        var pixels = image.Pixels;
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
                planar[(c * plane) + p] = (pixels[(p * 3) + c] / 127.5f) - 1f;
        }

        using var input = OrtValue.CreateTensorValueFromMemory(planar, [1, 3, image.Height, image.Width]);
        using var results = OnnxRun.Run(encoder, [EncoderInput], [input], [_encoderOutput!], cancellationToken);
        var output = results[0].GetTensorDataAsSpan<float>();
        if (_encoderOutput == "latent_sample")
            return new EncodedLatents(output.ToArray(), null);

        // latent_parameters: the first half of the channels is the mean, the second the log-variance (MODEL-FORMATS §1.3).
        var half = output.Length / 2;
        return new EncodedLatents(output[..half].ToArray(), output[half..].ToArray());
    }

    private static byte ToByte(float value) => (byte)MathF.Round(Math.Clamp((value / 2f) + 0.5f, 0f, 1f) * 255f);


    private static int? IntOf(JsonElement? config, string name) =>
        config is { } json && json.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : null;

    public void Dispose()
    {
        _decoder.Dispose();
        _encoder?.Dispose();
    }
}
