using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// transformers' CLIPImageProcessor as the safety checker's <c>feature_extractor/preprocessor_config.json</c> configures
/// it: resize so the shortest side is <see cref="ShortestEdge"/> (PIL bicubic on the 8-bit image, the longer side
/// truncated to <c>int(size · long / short)</c>), center crop (top and left offsets rounded down), ×<see cref="RescaleFactor"/>,
/// then per-channel (x − mean) / std, planar <c>[3, crop height, crop width]</c>. Settings the file lacks take
/// CLIPImageProcessor's defaults. The resize and the normalisation are Media's, shared with BLIP's processor.
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
            ? size.ValueKind == JsonValueKind.Number ? size.GetInt32() : ImageProcessorJson.Int(size, "shortest_edge") ?? defaults.ShortestEdge
            : defaults.ShortestEdge;
        int cropHeight = defaults.CropHeight, cropWidth = defaults.CropWidth;
        if (json.TryGetProperty("crop_size", out var crop))
        {
            if (crop.ValueKind == JsonValueKind.Number)
                cropHeight = cropWidth = crop.GetInt32();
            else
            {
                cropHeight = ImageProcessorJson.Int(crop, "height") ?? cropHeight;
                cropWidth = ImageProcessorJson.Int(crop, "width") ?? cropWidth;
            }
        }

        return new ClipImageProcessor
        {
            DoResize = ImageProcessorJson.Bool(json, "do_resize") ?? defaults.DoResize,
            ShortestEdge = shortest,
            DoCenterCrop = ImageProcessorJson.Bool(json, "do_center_crop") ?? defaults.DoCenterCrop,
            CropHeight = cropHeight,
            CropWidth = cropWidth,
            DoRescale = ImageProcessorJson.Bool(json, "do_rescale") ?? defaults.DoRescale,
            RescaleFactor = (float?)ImageProcessorJson.Number(json, "rescale_factor") ?? defaults.RescaleFactor,
            DoNormalize = ImageProcessorJson.Bool(json, "do_normalize") ?? defaults.DoNormalize,
            Mean = ImageProcessorJson.Channels(json, "image_mean") ?? defaults.Mean,
            Std = ImageProcessorJson.Channels(json, "image_std") ?? defaults.Std,
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
                resized = PilResize.Resize(image, width, height);
        }

        var (outHeight, outWidth) = DoCenterCrop ? (CropHeight, CropWidth) : (resized.Height, resized.Width);
        // transformers' center_crop: offsets rounded down (Python's //); where the crop is larger, zeros pad the image.
        var top = (int)Math.Floor((resized.Height - outHeight) / 2.0);
        var left = (int)Math.Floor((resized.Width - outWidth) / 2.0);

        var result = new float[3 * outHeight * outWidth];
        new PixelNormalizer(DoRescale, RescaleFactor, DoNormalize, Mean, Std).WritePlanar(resized, top, left, outHeight, outWidth, result);
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
}
