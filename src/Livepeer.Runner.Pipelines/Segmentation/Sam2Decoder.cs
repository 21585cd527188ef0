using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// SAM 2 decoders with <c>image_embed, high_res_feats_0, high_res_feats_1, point_coords, point_labels, mask_input,
/// has_mask_input</c> (MODEL-FORMATS §6): dialect A adds <c>orig_im_size</c> and returns masks at that size, dialect B
/// (samexporter) has none and returns 256² logits. Points are in the 1024×1024 frame, a box goes first as two corner
/// points labelled 2 and 3 (as SAM2ImagePredictor concatenates them); the graph appends the −1 padding point itself.
/// </summary>
internal sealed class Sam2Decoder : SamPromptDecoder
{
    public static readonly string[] RequiredInputs = ["image_embed", "high_res_feats_0", "high_res_feats_1", "point_coords", "point_labels", "mask_input", "has_mask_input"];

    private readonly string[] _outputs;
    private readonly bool _hasOrigSize;
    private readonly bool _hasLowRes;

    public Sam2Decoder(InferenceSession session)
        : base(session)
    {
        _hasOrigSize = HasInput("orig_im_size");
        _hasLowRes = HasOutput("low_res_masks");
        _outputs = _hasLowRes ? ["masks", "iou_predictions", "low_res_masks"] : ["masks", "iou_predictions"];
    }

    public static string[] RequiredOutputs { get; } = ["masks", "iou_predictions"];

    public override SegmentationDialect Dialect => _hasOrigSize ? SegmentationDialect.Sam2 : SegmentationDialect.Sam2Samexporter;

    public override IReadOnlyList<string> EmbeddingInputs { get; } = ["image_embed", "high_res_feats_0", "high_res_feats_1"];

    public override DecodedMasks Decode(ImageEmbedding embedding, ResolvedPrompt prompt, CancellationToken cancellationToken)
    {
        var (sx, sy) = ((float)SamImageEncoder.InputSide / prompt.Width, (float)SamImageEncoder.InputSide / prompt.Height);
        var count = prompt.Labels.Length + (prompt.Box is null ? 0 : 2);
        var coords = new float[count * 2];
        var labels = new float[count];
        var at = 0;
        if (prompt.Box is { } box)
        {
            (coords[0], coords[1], coords[2], coords[3]) = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy);
            (labels[0], labels[1]) = (2, 3);
            at = 2;
        }

        for (var i = 0; i < prompt.Labels.Length; i++, at++)
        {
            coords[2 * at] = prompt.Points[2 * i] * sx;
            coords[(2 * at) + 1] = prompt.Points[(2 * i) + 1] * sy;
            labels[at] = prompt.Labels[i];
        }

        var inputs = new List<(string, OrtValue)>
        {
            ("point_coords", Input("point_coords", coords, 1, count, 2)),
            ("point_labels", Input("point_labels", labels, 1, count)),
            ("mask_input", Input("mask_input", prompt.MaskInput ?? new float[LowResSide * LowResSide], 1, 1, LowResSide, LowResSide)),
            ("has_mask_input", Input("has_mask_input", [prompt.MaskInput is null ? 0 : 1], 1)),
        };

        // Without a low_res_masks output, asking for 256×256 "original" masks returns the low-res logits unchanged
        // (a same-size bilinear resize is the identity); they are brought to the image size here, as SAM 2 does.
        var (outHeight, outWidth) = _hasLowRes ? (prompt.Height, prompt.Width) : (LowResSide, LowResSide);
        if (_hasOrigSize)
            inputs.Add(("orig_im_size", Input("orig_im_size", [outHeight, outWidth], 2)));

        using var results = Run(embedding, inputs, _outputs, cancellationToken);
        var (masks, masksShape) = SamTensors.ReadFloat(results[0], "masks", 4);
        var (scores, _) = SamTensors.ReadFloat(results[1], "iou_predictions", 2);
        var masksCount = MaskCount(masksShape, "masks", outHeight, outWidth);
        if (!_hasLowRes)
            return new DecodedMasks(masksCount, masks, null, Scores(scores, masksCount, "iou_predictions"));

        var (lowRes, lowResShape) = SamTensors.ReadFloat(results[2], "low_res_masks", 4);
        if (MaskCount(lowResShape, "low_res_masks", LowResSide, LowResSide) != masksCount)
            throw new Core.Errors.InferenceException("The decoder's masks and low_res_masks disagree on the number of masks.");
        return new DecodedMasks(masksCount, lowRes, masks, Scores(scores, masksCount, "iou_predictions"));
    }
}
