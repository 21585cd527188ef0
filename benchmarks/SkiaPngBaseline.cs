using Livepeer.Runner.Pipelines.Media;
using SkiaSharp;

namespace Livepeer.Runner.Benchmarks;

/// <summary>The SkiaSharp (libpng, all filters) encoder the runner used before its own, kept as the baseline.</summary>
internal static class SkiaPngBaseline
{
    public static byte[] Encode(RgbImage image, int compressionLevel)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgb888x, SKAlphaType.Opaque);
        var rgbx = new byte[info.BytesSize];
        var rgb = image.Pixels;
        for (int source = 0, target = 0; source < rgb.Length; source += 3, target += 4)
        {
            rgbx[target] = rgb[source];
            rgbx[target + 1] = rgb[source + 1];
            rgbx[target + 2] = rgb[source + 2];
            rgbx[target + 3] = 255;
        }

        unsafe
        {
            fixed (byte* pointer = rgbx)
            {
                using var pixmap = new SKPixmap(info, (IntPtr)pointer, info.RowBytes);
                using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, compressionLevel))
                    ?? throw new InvalidOperationException("PNG encoding failed.");
                return data.ToArray();
            }
        }
    }
}
