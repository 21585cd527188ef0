using Livepeer.Runner.Core.Errors;
using SkiaSharp;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// Decodes uploads the way ai-runner's PIL path treats them: any format the decoder knows (PNG, JPEG, GIF, WebP,
/// BMP), truncated files tolerated, alpha dropped rather than composited. The size is checked from the header
/// before any pixel is decoded, so a decompression bomb costs nothing.
/// </summary>
public static class ImageDecoder
{
    public static RgbImage Decode(ReadOnlySpan<byte> data, long maxPixels)
    {
        if (data.IsEmpty)
            throw new BadInputException("The image file is empty.");

        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new BadInputException("Unable to decode the image: the file is not a PNG, JPEG, GIF, WebP or BMP image.");

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
            throw new BadInputException("Unable to decode the image: it has no pixels.");
        if ((long)width * height > maxPixels)
            throw new BadInputException(
                $"Image of {width}x{height} pixels is larger than this runner accepts ({maxPixels} pixels).");

        // Unpremultiplied so that dropping alpha keeps the stored colour, as PIL's convert("RGB") does.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* pointer = rgba)
                result = codec.GetPixels(info, (IntPtr)pointer);
        }

        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new BadInputException($"Unable to decode the image: {result}.");

        return new RgbImage(width, height, DropAlpha(rgba, width * height));
    }

    private static byte[] DropAlpha(byte[] rgba, int pixelCount)
    {
        var rgb = new byte[pixelCount * 3];
        for (int source = 0, target = 0; target < rgb.Length; source += 4, target += 3)
        {
            rgb[target] = rgba[source];
            rgb[target + 1] = rgba[source + 1];
            rgb[target + 2] = rgba[source + 2];
        }

        return rgb;
    }
}
