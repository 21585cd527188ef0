using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// The rescale and normalise steps of transformers' image processors on an 8-bit image, written planar
/// <c>[3, height, width]</c>: <c>rescale</c> multiplies in float64 and stores float32, <c>normalize</c> then takes
/// (x − mean) / std in float32. An 8-bit channel has 256 values, so each channel's results are a 256-entry table.
/// </summary>
internal sealed class PixelNormalizer
{
    private readonly float[] _table = new float[3 * 256];

    public PixelNormalizer(bool doRescale, double rescaleFactor, bool doNormalize, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (doNormalize && (mean.Count != 3 || std.Count != 3))
            throw new ArgumentException("Normalisation needs three means and three standard deviations.");
        for (var c = 0; c < 3; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                var x = doRescale ? (float)(v * rescaleFactor) : v;
                _table[(c * 256) + v] = doNormalize ? (x - mean[c]) / std[c] : x;
            }
        }
    }

    /// <summary>
    /// Writes the <paramref name="height"/> × <paramref name="width"/> window of <paramref name="image"/> whose top-left
    /// corner is (<paramref name="left"/>, <paramref name="top"/>); where the window leaves the image it reads black,
    /// as transformers' <c>center_crop</c> pads with zeros before rescaling.
    /// </summary>
    public void WritePlanar(RgbImage image, int top, int left, int height, int width, Span<float> destination)
    {
        var plane = height * width;
        if (destination.Length != 3 * plane)
            throw new ArgumentException($"Expected {3 * plane} floats, got {destination.Length}.", nameof(destination));
        var pixels = image.Pixels;
        for (var y = 0; y < height; y++)
        {
            var sy = y + top;
            for (var x = 0; x < width; x++)
            {
                var sx = x + left;
                var inside = sy >= 0 && sy < image.Height && sx >= 0 && sx < image.Width;
                var i = ((sy * image.Width) + sx) * 3;
                var o = (y * width) + x;
                for (var c = 0; c < 3; c++)
                    destination[(c * plane) + o] = _table[(c * 256) + (inside ? pixels[i + c] : 0)];
            }
        }
    }
}

/// <summary>The settings that transformers' image processors share in <c>preprocessor_config.json</c>.</summary>
internal static class ImageProcessorJson
{
    public static int? Int(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : null;

    public static bool? Bool(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static double? Number(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary><c>image_mean</c> / <c>image_std</c>: three numbers, or one that applies to every channel.</summary>
    public static float[]? Channels(JsonElement json, string name)
    {
        if (!json.TryGetProperty(name, out var v))
            return null;
        if (v.ValueKind == JsonValueKind.Number)
            return [v.GetSingle(), v.GetSingle(), v.GetSingle()];
        return v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 3 ? [.. v.EnumerateArray().Select(e => e.GetSingle())] : null;
    }
}
