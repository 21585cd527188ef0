using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// One request's sizes (<see cref="UnetSizing.Plan"/>): the result is <see cref="Width"/>×<see cref="Height"/>; the
/// UNet runs at <see cref="RunWidth"/>×<see cref="RunHeight"/> (never smaller), extended at the right and bottom. An
/// input image is padded out to the run size (<see cref="Pad"/>) and every output is cropped back (<see cref="Crop"/>),
/// so the kept pixels keep their place.
/// </summary>
public readonly record struct SizePlan(int Width, int Height, int RunWidth, int RunHeight, int PixelsPerLatent)
{
    public int LatentWidth => RunWidth / PixelsPerLatent;

    public int LatentHeight => RunHeight / PixelsPerLatent;

    /// <summary>The run size is the result's: nothing to pad or crop.</summary>
    public bool IsExact => RunWidth == Width && RunHeight == Height;

    /// <summary>The same plan with every side <paramref name="factor"/> times longer (the x4 upscaler's output).</summary>
    public SizePlan Scaled(int factor) =>
        new(Width * factor, Height * factor, RunWidth * factor, RunHeight * factor, PixelsPerLatent * factor);

    /// <summary>
    /// A <see cref="Width"/>×<see cref="Height"/> image extended to the run size by reflection about its last row and
    /// column (numpy's "reflect", folding again when the padding is wider than the image). Reflection continues the
    /// image's own texture, so the convolutions and attention at the kept border see plausible neighbours; repeating
    /// the edge would give a flat smear that img2img redraws as a band of its own.
    /// </summary>
    public RgbImage Pad(RgbImage image)
    {
        if (image.Width != Width || image.Height != Height)
            throw new ArgumentException($"The plan is for a {Width}x{Height} image, not {image.Width}x{image.Height}.", nameof(image));
        if (IsExact)
            return image;
        var padded = new RgbImage(RunWidth, RunHeight);
        var rowBytes = RunWidth * 3;
        for (var y = 0; y < RunHeight; y++)
        {
            var target = padded.Pixels.AsSpan(y * rowBytes, rowBytes);
            var source = image.Pixels.AsSpan(Reflect(y, Height) * Width * 3, Width * 3);
            source.CopyTo(target);
            for (var x = Width; x < RunWidth; x++)
                source.Slice(Reflect(x, Width) * 3, 3).CopyTo(target[(x * 3)..]);
        }

        return padded;
    }

    /// <summary>The top-left <see cref="Width"/>×<see cref="Height"/> of a run-sized image.</summary>
    public RgbImage Crop(RgbImage image)
    {
        if (image.Width != RunWidth || image.Height != RunHeight)
            throw new ArgumentException($"The plan runs at {RunWidth}x{RunHeight}, not {image.Width}x{image.Height}.", nameof(image));
        if (IsExact)
            return image;
        var cropped = new RgbImage(Width, Height);
        for (var y = 0; y < Height; y++)
            image.Pixels.AsSpan(y * RunWidth * 3, Width * 3).CopyTo(cropped.Pixels.AsSpan(y * Width * 3));
        return cropped;
    }

    /// <summary>Index <paramref name="i"/> ≥ 0 folded into [0, <paramref name="length"/>) by mirroring about the ends (period 2·(length − 1)).</summary>
    private static int Reflect(int i, int length)
    {
        if (length == 1)
            return 0;
        var period = 2 * (length - 1);
        var m = i % period;
        return m < length ? m : period - m;
    }
}
