using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// Stable Video Diffusion's image conditioning (<c>_encode_image</c>): the input image in [-1, 1], resized to the
/// encoder's side with antialiasing (<see cref="AntialiasedResize"/>), back to [0, 1], CLIP-normalised with the
/// <c>feature_extractor/</c>'s mean and std (no rescale, resize or crop there), then <c>image_encoder</c>'s
/// <c>image_embeds</c>: one vector, the UNet's single <c>encoder_hidden_states</c> token.
/// </summary>
public sealed class ClipImageEmbedder : IDisposable
{
    private const string PixelValues = "pixel_values";
    private const string ImageEmbeds = "image_embeds";

    private readonly InferenceSession _session;
    private readonly ClipImageProcessor _processor;
    private readonly Type _inputType;

    public ClipImageEmbedder(string modelId, InferenceSession session, ClipImageProcessor processor)
    {
        _session = session;
        _processor = processor;
        if (!session.InputMetadata.TryGetValue(PixelValues, out var input) || !FloatTensor.IsFloat(input.ElementType))
            throw new ModelLoadException(modelId, $"The image encoder of {modelId} has no float '{PixelValues}' input.");
        if (!session.OutputMetadata.TryGetValue(ImageEmbeds, out var output))
            throw new ModelLoadException(modelId, $"The image encoder of {modelId} has no '{ImageEmbeds}' output.");
        _inputType = input.ElementType;
        // [batch, 3, side, side]: the side is the export's (224 for ViT-H/14); a free axis takes the processor's crop.
        Side = input.Dimensions is [_, _, > 0 and var side, ..] ? side : processor.CropHeight;
        Width = output.Dimensions is [_, > 0 and var width] ? width : -1;
    }

    /// <summary>The encoder's input side (224).</summary>
    public int Side { get; }

    /// <summary>The embedding's width when the graph fixes it (1024 for SVD), else −1.</summary>
    public int Width { get; }

    public float[] Embed(RgbImage image, CancellationToken cancellationToken)
    {
        var pixels = image.Pixels;
        var plane = image.Width * image.Height;
        var planar = new float[3 * plane];
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
                planar[(c * plane) + p] = (pixels[(p * 3) + c] / 255f * 2f) - 1f;
        }

        var resized = AntialiasedResize.Resize(planar, 3, image.Width, image.Height, Side, Side);
        var side = Side * Side;
        for (var c = 0; c < 3; c++)
        {
            float mean = _processor.Mean[c], std = _processor.Std[c];
            var channel = resized.AsSpan(c * side, side);
            for (var i = 0; i < side; i++)
                channel[i] = (((channel[i] + 1f) / 2f) - mean) / std;
        }

        using var value = FloatTensor.Input(resized, [1, 3, Side, Side], _inputType);
        using var results = OnnxRun.Run(_session, [PixelValues], [value], [ImageEmbeds], cancellationToken);
        return FloatTensor.ToArray(results[0]);
    }

    public void Dispose() => _session.Dispose();
}
