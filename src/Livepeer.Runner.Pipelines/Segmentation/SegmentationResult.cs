namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// The contract's three arrays (RUNNER-CONTRACT §2.6), already sorted by descending score: <see cref="Masks"/>
/// C×H×W at the original image size (logits, or 0/1 when return_logits is false), <see cref="Scores"/> length C,
/// <see cref="Logits"/> C×256×256 clamped to ±32. <see cref="SegmentationResponseWriter"/> serialises it.
/// </summary>
public sealed class SegmentationResult
{
    public const int LogitSide = SegmentationPrompt.MaskSide;

    public SegmentationResult(int width, int height, float[] masks, float[] scores, float[] logits)
    {
        var count = scores.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(scores));
        if (masks.LongLength != (long)count * width * height)
            throw new ArgumentException($"Expected {count}×{height}×{width} mask values, got {masks.LongLength}.", nameof(masks));
        if (logits.Length != count * LogitSide * LogitSide)
            throw new ArgumentException($"Expected {count}×{LogitSide}×{LogitSide} logits, got {logits.Length}.", nameof(logits));
        (Width, Height, Masks, Scores, Logits) = (width, height, masks, scores, logits);
    }

    public int Count => Scores.Length;

    public int Width { get; }

    public int Height { get; }

    public float[] Masks { get; }

    public float[] Scores { get; }

    public float[] Logits { get; }

    public ReadOnlySpan<float> Mask(int index) => Masks.AsSpan(index * Width * Height, Width * Height);

    public ReadOnlySpan<float> Logit(int index) => Logits.AsSpan(index * LogitSide * LogitSide, LogitSide * LogitSide);
}
