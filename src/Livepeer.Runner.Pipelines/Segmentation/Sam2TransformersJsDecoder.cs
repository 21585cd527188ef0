using Livepeer.Runner.Core.Errors;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// transformers.js / onnx-community SAM 2 (<c>prompt_encoder_mask_decoder</c>, MODEL-FORMATS §6 dialect D): inputs
/// <c>input_points [1, 1, n, 2]</c> f32 in the 1024² frame, <c>input_labels [1, 1, n]</c> i64, <c>input_boxes [1, nb, 4]</c>
/// and <c>image_embeddings.0..2</c>; outputs <c>iou_scores [1, 1, 3]</c> and <c>pred_masks [1, 1, 3, 256, 256]</c>.
/// As transformers.js does it: without points, empty points and labels; without a box, a box axis of length 0.
/// The export takes no mask prompt.
/// </summary>
internal sealed class Sam2TransformersJsDecoder : SamPromptDecoder
{
    public static readonly string[] RequiredInputs = ["input_points", "input_labels"];

    public static readonly string[] RequiredOutputs = ["iou_scores", "pred_masks"];

    private readonly bool _hasBoxes;

    public Sam2TransformersJsDecoder(InferenceSession session, IReadOnlyList<string> embeddingInputs)
        : base(session)
    {
        EmbeddingInputs = embeddingInputs;
        _hasBoxes = HasInput("input_boxes");
    }

    public override SegmentationDialect Dialect => SegmentationDialect.Sam2TransformersJs;

    public override IReadOnlyList<string> EmbeddingInputs { get; }

    public override DecodedMasks Decode(ImageEmbedding embedding, ResolvedPrompt prompt, CancellationToken cancellationToken)
    {
        if (prompt.MaskInput is not null)
            throw new BadInputException("mask_input is not supported by this model: its export (transformers.js prompt_encoder_mask_decoder) takes no mask prompt.");
        if (prompt.Box is not null && !_hasBoxes)
            throw new BadInputException("box is not supported by this model: its decoder has no input_boxes.");
        if (prompt.Labels.Length == 0 && prompt.Box is null)
            throw new BadInputException("This model needs point_coords with point_labels, or a box.");

        var (sx, sy) = ((float)SamImageEncoder.InputSide / prompt.Width, (float)SamImageEncoder.InputSide / prompt.Height);
        var n = prompt.Labels.Length;
        var points = new float[n * 2];
        var labels = new float[n];
        for (var i = 0; i < n; i++)
        {
            points[2 * i] = prompt.Points[2 * i] * sx;
            points[(2 * i) + 1] = prompt.Points[(2 * i) + 1] * sy;
            labels[i] = prompt.Labels[i];
        }

        var inputs = new List<(string, OrtValue)>
        {
            ("input_points", Input("input_points", points, 1, 1, n, 2)),
            ("input_labels", Input("input_labels", labels, 1, 1, n)),
        };
        if (_hasBoxes)
        {
            var box = prompt.Box is { } b ? [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] : Array.Empty<float>();
            inputs.Add(("input_boxes", Input("input_boxes", box, 1, box.Length / 4, 4)));
        }

        using var results = Run(embedding, inputs, [.. RequiredOutputs], cancellationToken);
        var (scores, _) = SamTensors.ReadFloat(results[0], "iou_scores", 3);
        var (masks, shape) = SamTensors.ReadFloat(results[1], "pred_masks", 5);
        var count = MaskCount(shape, "pred_masks", LowResSide, LowResSide);
        return new DecodedMasks(count, masks, null, Scores(scores, count, "iou_scores"));
    }
}
