using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// Which image sizes a diffusion UNet runs. A UNet halves its latents at every down block and doubles them back on
/// the way up; ONNX exports bake that ×2 in (PyTorch's UNet passes explicit upsample sizes instead), so a side whose
/// latents do not divide by 2^(down blocks) fails inside the graph at a skip connection's Concat. Any other size is
/// served by running at the next size the UNet takes and cropping back (<see cref="SizePlan"/>).
/// <paramref name="PixelsPerLatent"/>: image pixels per latent (the VAE's factor, 8 for SD; 1 for the x4 upscaler,
/// whose latents are at the low-res image's size). <paramref name="LatentMultiple"/>: 2^(len(block_out_channels) − 1)
/// from <c>unet/config.json</c>. A fixed-shape export (numbers, not names, on the sample's last two axes) runs only
/// <paramref name="FixedLatentWidth"/>×<paramref name="FixedLatentHeight"/>; 0 means the axis is free.
/// </summary>
public sealed record UnetSizing(string ModelId, int PixelsPerLatent, int LatentMultiple, int FixedLatentWidth = 0, int FixedLatentHeight = 0)
{
    /// <summary>When the UNet's config is missing or says nothing: SD1.5's four blocks over an 8× VAE, the largest stock factor.</summary>
    public const int DefaultPixelMultiple = 64;

    public int PixelsPerLatent { get; } = PixelsPerLatent >= 1 ? PixelsPerLatent : throw new ArgumentOutOfRangeException(nameof(PixelsPerLatent));

    public int LatentMultiple { get; } = LatentMultiple >= 1 ? LatentMultiple : throw new ArgumentOutOfRangeException(nameof(LatentMultiple));

    /// <summary>Image sides the UNet takes directly are multiples of this.</summary>
    public int PixelMultiple => PixelsPerLatent * LatentMultiple;

    /// <summary>
    /// Reads the factor from <paramref name="unetConfigPath"/> (<c>block_out_channels</c>) and fixed axes from the
    /// graph's <c>sample</c> dimensions (<c>[batch, channels, height, width]</c>, or SVD's rank 5: the last two count).
    /// </summary>
    public static UnetSizing Read(string modelId, string unetConfigPath, IReadOnlyList<int> sampleDimensions, int pixelsPerLatent)
    {
        var config = ModelFolderJson.Read(unetConfigPath);
        var blocks = config is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("block_out_channels", out var b)
            && b.ValueKind == JsonValueKind.Array && b.GetArrayLength() > 0
                ? b.GetArrayLength()
                : 0;
        var latentMultiple = blocks > 0 ? 1 << (blocks - 1) : Math.Max(1, DefaultPixelMultiple / pixelsPerLatent);
        int Fixed(int fromEnd) => sampleDimensions.Count >= 2 && sampleDimensions[^fromEnd] > 0 ? sampleDimensions[^fromEnd] : 0;
        return new UnetSizing(modelId, pixelsPerLatent, latentMultiple, FixedLatentWidth: Fixed(1), FixedLatentHeight: Fixed(2));
    }

    /// <summary>
    /// The size to run for a <paramref name="width"/>×<paramref name="height"/> result: each side rounded up to
    /// <see cref="PixelMultiple"/>, or a fixed-shape export's own size when the result fits in it. A size the UNet
    /// cannot run is a <see cref="BadInputException"/> that names it.
    /// </summary>
    public SizePlan Plan(int width, int height)
    {
        if (width < 1 || height < 1)
            throw new BadInputException($"Cannot generate a {width}x{height} image with {ModelId}: both sides must be at least 1 pixel.");
        var runWidth = FixedLatentWidth > 0 ? FixedLatentWidth * PixelsPerLatent : RoundUp(width);
        var runHeight = FixedLatentHeight > 0 ? FixedLatentHeight * PixelsPerLatent : RoundUp(height);
        if (width > runWidth || height > runHeight)
            throw new BadInputException(
                $"The UNet of {ModelId} is a fixed-shape export that runs {Describe(FixedLatentWidth)}x{Describe(FixedLatentHeight)} pixels only; it cannot make a {width}x{height} image.");
        return new SizePlan(width, height, runWidth, runHeight, PixelsPerLatent);
    }

    private int RoundUp(int side) => checked((side + PixelMultiple - 1) / PixelMultiple * PixelMultiple);

    private string Describe(int fixedLatents) => fixedLatents > 0
        ? (fixedLatents * PixelsPerLatent).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : $"(any multiple of {PixelMultiple})";
}
