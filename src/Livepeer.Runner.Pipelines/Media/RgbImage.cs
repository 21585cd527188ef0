namespace Livepeer.Runner.Pipelines.Media;

/// <summary>An 8-bit RGB image, pixels interleaved row by row (3 bytes a pixel, no padding).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"Expected {width * height * 3} bytes for {width}×{height} RGB, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public RgbImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)])
    {
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    public long PixelCount => (long)Width * Height;
}
