using SkiaSharp;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// Encodes replies as 8-bit RGB PNG, the only image type the contract emits. The zlib level is a setting
/// (RUNNER_PNG_COMPRESSION): level 1 costs a fraction of PIL's default 6 at 1024² for a slightly larger file;
/// see the README's benchmark figures.
/// </summary>
public static class PngEncoder
{
    public static byte[] Encode(RgbImage image, int compressionLevel)
    {
        // Skia encodes an opaque RGBX buffer as a colour-type-2 (RGB) PNG: no alpha channel in the file.
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
                var options = new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, compressionLevel);
                using var data = pixmap.Encode(options)
                    ?? throw new InvalidOperationException("PNG encoding failed.");
                return data.ToArray();
            }
        }
    }
}
