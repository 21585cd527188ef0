using System.Numerics.Tensors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// The few vectorised forms every scheduler step reduces to. Scheduler coefficients are worked out in float64
/// (they are scalars) and applied to float32 latents in one or two SIMD passes.
/// </summary>
internal static class LatentMath
{
    /// <summary>destination = a·x + b·y. The destination may be x or y itself (in-place update).</summary>
    public static void Combine(double a, ReadOnlySpan<float> x, double b, ReadOnlySpan<float> y, Span<float> destination)
    {
        CheckLengths(x.Length, y.Length, destination.Length);
        if (destination.Overlaps(y) && !destination.Overlaps(x))
        {
            TensorPrimitives.Multiply(y, (float)b, destination);
            TensorPrimitives.MultiplyAdd(x, (float)a, destination, destination);
        }
        else
        {
            TensorPrimitives.Multiply(x, (float)a, destination);
            TensorPrimitives.MultiplyAdd(y, (float)b, destination, destination);
        }
    }

    /// <summary>destination += a·x.</summary>
    public static void AddScaled(Span<float> destination, double a, ReadOnlySpan<float> x)
    {
        CheckLengths(x.Length, destination.Length, destination.Length);
        TensorPrimitives.MultiplyAdd(x, (float)a, destination, destination);
    }

    public static void Clamp(Span<float> values, double range)
    {
        TensorPrimitives.Max(values, (float)-range, values);
        TensorPrimitives.Min(values, (float)range, values);
    }

    /// <summary>
    /// The clean-sample estimate x̂₀ = s·sample + m·modelOutput for a VP (alpha-space) scheduler at ᾱ = <paramref name="alphaProd"/>:
    /// ε: (x − √(1−ᾱ)·ε)/√ᾱ; v: √ᾱ·x − √(1−ᾱ)·v; sample: the output itself.
    /// </summary>
    public static (double Sample, double Output) OriginalFromAlpha(PredictionType prediction, double alphaProd) => prediction switch
    {
        PredictionType.Epsilon => (1 / Math.Sqrt(alphaProd), -Math.Sqrt(1 - alphaProd) / Math.Sqrt(alphaProd)),
        PredictionType.VPrediction => (Math.Sqrt(alphaProd), -Math.Sqrt(1 - alphaProd)),
        _ => (0, 1),
    };

    /// <summary>The noise estimate ε̂ = s·sample + m·modelOutput, the counterpart of <see cref="OriginalFromAlpha"/>.</summary>
    public static (double Sample, double Output) EpsilonFromAlpha(PredictionType prediction, double alphaProd) => prediction switch
    {
        PredictionType.Epsilon => (0, 1),
        PredictionType.VPrediction => (Math.Sqrt(1 - alphaProd), Math.Sqrt(alphaProd)),
        _ => (1 / Math.Sqrt(1 - alphaProd), -Math.Sqrt(alphaProd) / Math.Sqrt(1 - alphaProd)),
    };

    /// <summary>
    /// x̂₀ for a VE (sigma-space) scheduler at noise level σ, on the unscaled latent:
    /// ε: x − σ·ε; v: x/(σ²+1) − σ/√(σ²+1)·v (the EDM c_skip/c_out); sample: the output itself.
    /// </summary>
    public static (double Sample, double Output) OriginalFromSigma(PredictionType prediction, double sigma) => prediction switch
    {
        PredictionType.Epsilon => (1, -sigma),
        PredictionType.VPrediction => (1 / ((sigma * sigma) + 1), -sigma / Math.Sqrt((sigma * sigma) + 1)),
        _ => (0, 1),
    };

    private static void CheckLengths(int x, int y, int destination)
    {
        if (x != destination || y != destination)
            throw new ArgumentException($"Latent spans differ in length ({x}, {y}, {destination}).");
    }
}
