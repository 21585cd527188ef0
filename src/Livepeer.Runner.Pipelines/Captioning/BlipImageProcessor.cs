using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>
/// transformers' BlipImageProcessor as <c>preprocessor_config.json</c> configures it: RGB, resize to exactly
/// <see cref="Height"/> × <see cref="Width"/> with PIL's bicubic (no aspect kept, no crop), ×<see cref="RescaleFactor"/>,
/// then per-channel (x − mean) / std, planar <c>[3, height, width]</c>. Settings the file lacks take
/// BlipImageProcessor's defaults (384², 1/255, CLIP's mean and std).
/// </summary>
public sealed class BlipImageProcessor
{
    /// <summary>PIL's <c>Image.BICUBIC</c>, the one resample filter implemented here.</summary>
    public const int Bicubic = 3;

    private static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    private readonly PixelNormalizer _normalizer;

    public BlipImageProcessor(int height = 384, int width = 384, bool doResize = true, bool doRescale = true, double rescaleFactor = 1.0 / 255.0, bool doNormalize = true, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        (Height, Width, DoResize, DoRescale, RescaleFactor, DoNormalize) = (height, width, doResize, doRescale, rescaleFactor, doNormalize);
        Mean = mean ?? ClipMean;
        Std = std ?? ClipStd;
        _normalizer = new PixelNormalizer(doRescale, rescaleFactor, doNormalize, Mean, Std);
    }

    public int Height { get; }
    public int Width { get; }
    public bool DoResize { get; }
    public bool DoRescale { get; }
    public double RescaleFactor { get; }
    public bool DoNormalize { get; }
    public IReadOnlyList<float> Mean { get; }
    public IReadOnlyList<float> Std { get; }

    /// <summary>The processor a <c>preprocessor_config.json</c> describes; defaults where the file (or a key) is absent.</summary>
    /// <exception cref="InvalidDataException">The file asks for a resample filter other than bicubic.</exception>
    public static BlipImageProcessor Load(string path)
    {
        if (ModelFolderJson.Read(path) is not { } json)
            return new BlipImageProcessor();
        var resample = ImageProcessorJson.Int(json, "resample") ?? Bicubic;
        if (resample != Bicubic)
            throw new InvalidDataException($"{path} asks for PIL resample filter {resample}; only bicubic ({Bicubic}) is implemented.");

        // "size" is {"height", "width"}, {"shortest_edge"} in a few older files (a square then), or a bare n.
        int height = 384, width = 384;
        if (json.TryGetProperty("size", out var size))
        {
            if (size.ValueKind == JsonValueKind.Number)
                height = width = size.GetInt32();
            else if (ImageProcessorJson.Int(size, "shortest_edge") is { } edge)
                height = width = edge;
            else
            {
                height = ImageProcessorJson.Int(size, "height") ?? height;
                width = ImageProcessorJson.Int(size, "width") ?? width;
            }
        }

        return new BlipImageProcessor(
            height,
            width,
            ImageProcessorJson.Bool(json, "do_resize") ?? true,
            ImageProcessorJson.Bool(json, "do_rescale") ?? true,
            ImageProcessorJson.Number(json, "rescale_factor") ?? (1.0 / 255.0),
            ImageProcessorJson.Bool(json, "do_normalize") ?? true,
            ImageProcessorJson.Channels(json, "image_mean"),
            ImageProcessorJson.Channels(json, "image_std"));
    }

    /// <summary>The (height, width) <see cref="Process(RgbImage, Span{float})"/> writes for an image of this size.</summary>
    public (int Height, int Width) OutputSize(int width, int height) => DoResize ? (Height, Width) : (height, width);

    public float[] Process(RgbImage image)
    {
        var (height, width) = OutputSize(image.Width, image.Height);
        var result = new float[3 * height * width];
        Process(image, result);
        return result;
    }

    /// <summary>One image → planar <c>[3, height, width]</c> into <paramref name="destination"/> (a batch row).</summary>
    public void Process(RgbImage image, Span<float> destination)
    {
        var resized = DoResize && (image.Width != Width || image.Height != Height) ? PilResize.Resize(image, Width, Height) : image;
        _normalizer.WritePlanar(resized, 0, 0, resized.Height, resized.Width, destination);
    }
}
