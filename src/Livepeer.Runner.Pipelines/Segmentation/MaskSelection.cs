namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>From a decoder's candidate masks to the response: which masks, in which order, at which size.</summary>
internal static class MaskSelection
{
    public const float LogitLimit = 32f;

    /// <summary>
    /// Candidate indices, best score first. Four candidates are SAM's mask tokens (0 = the single-mask output,
    /// 1–3 the multimask ones); three are multimask only, so a single mask is their best; one is all there is.
    /// </summary>
    public static int[] Choose(int count, float[] scores, bool multimask)
    {
        int[] chosen = count switch
        {
            1 => [0],
            4 => multimask ? [1, 2, 3] : [0],
            _ when multimask => Enumerable.Range(0, count).ToArray(),
            _ => [ArgMax(scores)],
        };

        // Stable, so equal scores keep the decoder's order.
        return chosen.OrderByDescending(i => scores[i]).ToArray();
    }

    public static SegmentationResult Build(DecodedMasks decoded, int[] chosen, ResolvedPrompt prompt)
    {
        const int side = SamPromptDecoder.LowResSide;
        var plane = prompt.Width * prompt.Height;
        var masks = new float[(long)chosen.Length * plane];
        var logits = new float[chosen.Length * side * side];
        var scores = new float[chosen.Length];
        var xs = decoded.FullSize is null ? Resampling.Axis.Create(side, prompt.Width, antialias: false) : null;
        var ys = decoded.FullSize is null ? Resampling.Axis.Create(side, prompt.Height, antialias: false) : null;
        for (var k = 0; k < chosen.Length; k++)
        {
            var i = chosen[k];
            scores[k] = decoded.Scores[i];
            var lowRes = decoded.LowRes.AsSpan(i * side * side, side * side);
            var mask = masks.AsSpan(k * plane, plane);
            if (decoded.FullSize is { } full)
                full.AsSpan(i * plane, plane).CopyTo(mask);
            else
                Resampling.ResizePlane(lowRes, side, side, mask, prompt.Width, prompt.Height, xs!, ys!); // SAM 2 upsamples the unclamped logits

            var logit = logits.AsSpan(k * side * side, side * side);
            for (var p = 0; p < logit.Length; p++)
                logit[p] = Math.Clamp(lowRes[p], -LogitLimit, LogitLimit);

            if (!prompt.ReturnLogits)
            {
                for (var p = 0; p < mask.Length; p++)
                    mask[p] = mask[p] > 0f ? 1f : 0f;
            }
        }

        return new SegmentationResult(prompt.Width, prompt.Height, masks, scores, logits);
    }

    private static int ArgMax(float[] scores)
    {
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
                best = i;
        }

        return best;
    }
}
