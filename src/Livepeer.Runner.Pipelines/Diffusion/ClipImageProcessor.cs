using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// transformers' CLIPImageProcessor as the safety checker's <c>feature_extractor/preprocessor_config.json</c> configures
/// it: resize so the shortest side is <see cref="ShortestEdge"/> (PIL bicubic on the 8-bit image, the longer side
/// truncated to <c>int(size · long / short)</c>), center crop (top and left offsets rounded down), ×<see cref="RescaleFactor"/>,
/// then per-channel (x − mean) / std, planar <c>[3, crop height, crop width]</c>. Settings the file lacks take
/// CLIPImageProcessor's defaults.
/// </summary>
public sealed class ClipImageProcessor
{
    private static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    public bool DoResize { get; init; } = true;

    public int ShortestEdge { get; init; } = 224;

    public bool DoCenterCrop { get; init; } = true;

    public int CropHeight { get; init; } = 224;

    public int CropWidth { get; init; } = 224;

    public bool DoRescale { get; init; } = true;

    public float RescaleFactor { get; init; } = 1f / 255f;

    public bool DoNormalize { get; init; } = true;

    public IReadOnlyList<float> Mean { get; init; } = ClipMean;

    public IReadOnlyList<float> Std { get; init; } = ClipStd;

    /// <summary>The processor a <c>preprocessor_config.json</c> describes; defaults where the file (or the key) is absent.</summary>
    public static ClipImageProcessor Load(string path)
    {
        if (ModelFolderJson.Read(path) is not { } json)
            return new ClipImageProcessor();
        var defaults = new ClipImageProcessor();
        // "size" is {"shortest_edge": n} in CLIPImageProcessor files and a bare n in older CLIPFeatureExtractor ones;
        // "crop_size" is {"height", "width"} or a bare n.
        var shortest = json.TryGetProperty("size", out var size)
            ? size.ValueKind == JsonValueKind.Number ? size.GetInt32() : IntOf(size, "shortest_edge") ?? defaults.ShortestEdge
            : defaults.ShortestEdge;
        int cropHeight = defaults.CropHeight, cropWidth = defaults.CropWidth;
        if (json.TryGetProperty("crop_size", out var crop))
        {
            if (crop.ValueKind == JsonValueKind.Number)
                cropHeight = cropWidth = crop.GetInt32();
            else
            {
                cropHeight = IntOf(crop, "height") ?? cropHeight;
                cropWidth = IntOf(crop, "width") ?? cropWidth;
            }
        }

        return new ClipImageProcessor
        {
            DoResize = BoolOf(json, "do_resize") ?? defaults.DoResize,
            ShortestEdge = shortest,
            DoCenterCrop = BoolOf(json, "do_center_crop") ?? defaults.DoCenterCrop,
            CropHeight = cropHeight,
            CropWidth = cropWidth,
            DoRescale = BoolOf(json, "do_rescale") ?? defaults.DoRescale,
            RescaleFactor = json.TryGetProperty("rescale_factor", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetSingle() : defaults.RescaleFactor,
            DoNormalize = BoolOf(json, "do_normalize") ?? defaults.DoNormalize,
            Mean = FloatsOf(json, "image_mean") ?? defaults.Mean,
            Std = FloatsOf(json, "image_std") ?? defaults.Std,
        };
    }

    /// <summary>The (height, width) of what <see cref="Process"/> gives for an image of this size.</summary>
    public (int Height, int Width) OutputSize(int width, int height)
    {
        var (resizedWidth, resizedHeight) = DoResize ? ResizedSize(width, height) : (width, height);
        return DoCenterCrop ? (CropHeight, CropWidth) : (resizedHeight, resizedWidth);
    }

    /// <summary>One image → planar <c>[3, height, width]</c> floats, the sizes of <see cref="OutputSize"/>.</summary>
    public float[] Process(RgbImage image)
    {
        var resized = image;
        if (DoResize)
        {
            var (width, height) = ResizedSize(image.Width, image.Height);
            if (width != image.Width || height != image.Height)
                resized = BicubicResize.Resize(image, width, height);
        }

        var (outHeight, outWidth) = DoCenterCrop ? (CropHeight, CropWidth) : (resized.Height, resized.Width);
        // transformers' center_crop: offsets rounded down (Python's //); where the crop is larger, zeros pad the image.
        var top = (int)Math.Floor((resized.Height - outHeight) / 2.0);
        var left = (int)Math.Floor((resized.Width - outWidth) / 2.0);

        var plane = outHeight * outWidth;
        var result = new float[3 * plane];
        var scale = DoRescale ? RescaleFactor : 1f;
        for (var c = 0; c < 3; c++)
        {
            var mean = DoNormalize ? Mean[c] : 0f;
            var std = DoNormalize ? Std[c] : 1f;
            for (var y = 0; y < outHeight; y++)
            {
                var sy = y + top;
                for (var x = 0; x < outWidth; x++)
                {
                    var sx = x + left;
                    var inside = sy >= 0 && sy < resized.Height && sx >= 0 && sx < resized.Width;
                    float value = inside ? resized.Pixels[(((sy * resized.Width) + sx) * 3) + c] : 0;
                    result[(c * plane) + (y * outWidth) + x] = ((value * scale) - mean) / std;
                }
            }
        }

        return result;
    }

    /// <summary>transformers' get_resize_output_image_size with default_to_square=False.</summary>
    private (int Width, int Height) ResizedSize(int width, int height)
    {
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        if (shortSide == ShortestEdge)
            return (width, height);
        var newLong = (int)((long)ShortestEdge * longSide / shortSide);
        return width <= height ? (ShortestEdge, newLong) : (newLong, ShortestEdge);
    }

    private static int? IntOf(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : null;

    private static bool? BoolOf(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static float[]? FloatsOf(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3
            ? [.. v.EnumerateArray().Select(e => e.GetSingle())]
            : null;
}

/// <summary>
/// PIL's bicubic resampling (<c>Image.resize(..., BICUBIC)</c>, a = −0.5): separable, the kernel widened by the scale
/// when shrinking (antialiasing), weights normalised per output pixel, horizontal pass first, and each pass rounded
/// and clamped to 8 bits as PIL's 8-bit images are.
/// </summary>
internal static class BicubicResize
{
    private const double Support = 2.0;

    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        var current = image;
        if (width != image.Width)
            current = Pass(current, width, horizontal: true);
        if (height != image.Height)
            current = Pass(current, height, horizontal: false);
        return current;
    }

    private static RgbImage Pass(RgbImage source, int outSize, bool horizontal)
    {
        var inSize = horizontal ? source.Width : source.Height;
        var (starts, weights, taps) = Coefficients(inSize, outSize);
        var result = horizontal ? new RgbImage(outSize, source.Height) : new RgbImage(source.Width, outSize);
        var lines = horizontal ? source.Height : source.Width;
        for (var line = 0; line < lines; line++)
        {
            for (var o = 0; o < outSize; o++)
            {
                double r = 0, g = 0, b = 0;
                for (var k = 0; k < taps; k++)
                {
                    var w = weights[(o * taps) + k];
                    if (w == 0)
                        continue;
                    var s = starts[o] + k;
                    var i = horizontal ? ((line * source.Width) + s) * 3 : ((s * source.Width) + line) * 3;
                    r += w * source.Pixels[i];
                    g += w * source.Pixels[i + 1];
                    b += w * source.Pixels[i + 2];
                }

                var d = horizontal ? ((line * outSize) + o) * 3 : ((o * source.Width) + line) * 3;
                result.Pixels[d] = Clamp8(r);
                result.Pixels[d + 1] = Clamp8(g);
                result.Pixels[d + 2] = Clamp8(b);
            }
        }

        return result;
    }

    /// <summary>Per output pixel: the first input index and <c>taps</c> normalised weights (zero past the window).</summary>
    private static (int[] Starts, double[] Weights, int Taps) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = Support * filterScale;
        var taps = (int)Math.Ceiling(support) * 2 + 1;
        var starts = new int[outSize];
        var weights = new double[outSize * taps];
        for (var o = 0; o < outSize; o++)
        {
            var center = (o + 0.5) * scale;
            var min = Math.Max((int)Math.Floor(center - support + 0.5), 0);
            var max = Math.Min((int)Math.Floor(center + support + 0.5), inSize);
            starts[o] = min;
            double total = 0;
            for (var k = 0; k < max - min && k < taps; k++)
            {
                var w = Cubic((k + min - center + 0.5) / filterScale);
                weights[(o * taps) + k] = w;
                total += w;
            }

            if (total != 0)
            {
                for (var k = 0; k < taps; k++)
                    weights[(o * taps) + k] /= total;
            }
        }

        return (starts, weights, taps);
    }

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1)
            return (((a + 2) * x) - (a + 3)) * x * x + 1;
        if (x < 2)
            return (((x - 5) * x) + 8) * x * a - (4 * a);
        return 0;
    }

    private static byte Clamp8(double value) => (byte)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, 255);
}
