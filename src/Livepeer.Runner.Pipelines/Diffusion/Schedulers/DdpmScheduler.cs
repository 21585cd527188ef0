namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' DDPMScheduler (Ho et al. 2020): the posterior mean of eq. 7 plus noise of the fixed variance. The x4
/// upscaler ships it as low_res_scheduler, and only uses its forward noising at the request's noise_level
/// (<see cref="AddNoiseAtTimestep"/>); stepping is here for completeness.
/// </summary>
public sealed class DdpmScheduler(SchedulerConfig config, NoiseSchedule schedule) : AlphaSchedulerBase(config, schedule)
{
    private float[] _scratch = [];

    /// <summary>√ᾱₜ·x + √(1−ᾱₜ)·ε at a training timestep t: how the upscaler noises its low-res image at noise_level t.</summary>
    public void AddNoiseAtTimestep(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int timestep, Span<float> destination) =>
        Schedule.AddNoise(original, noise, timestep, destination);

    public override void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        var t = TimestepAt(step);
        var prevT = step + 1 < Timesteps.Length ? TimestepAt(step + 1) : -1;
        var alpha = Schedule.AlphaCumprod(t);
        var alphaPrev = prevT >= 0 ? Schedule.AlphaCumprod(prevT) : 1.0;
        var currentAlpha = alpha / alphaPrev;
        var currentBeta = 1 - currentAlpha;

        // Eq. 7: μ = √ᾱ_prev·β_t/(1−ᾱ)·x̂₀ + √α_t·(1−ᾱ_prev)/(1−ᾱ)·x.
        var originalCoefficient = Math.Sqrt(alphaPrev) * currentBeta / (1 - alpha);
        var sampleCoefficient = Math.Sqrt(currentAlpha) * (1 - alphaPrev) / (1 - alpha);
        var (xs, xm) = LatentMath.OriginalFromAlpha(Config.PredictionType, alpha);

        if (_scratch.Length != sample.Length)
            _scratch = new float[sample.Length];
        if (Config.ClipSample)
        {
            LatentMath.Combine(xs, sample, xm, modelOutput, _scratch);
            LatentMath.Clamp(_scratch, Config.ClipSampleRange);
            LatentMath.Combine(sampleCoefficient, sample, originalCoefficient, _scratch, previous);
        }
        else
        {
            LatentMath.Combine(sampleCoefficient + (originalCoefficient * xs), sample, originalCoefficient * xm, modelOutput, previous);
        }

        if (t == 0)
            return;

        // fixed_small: the posterior variance β̃ = (1−ᾱ_prev)/(1−ᾱ)·β_t (floored at 1e-20); fixed_large: β_t.
        var variance = Config.VarianceType is DdpmVarianceType.FixedLarge
            ? currentBeta
            : Math.Max((1 - alphaPrev) / (1 - alpha) * currentBeta, 1e-20);
        noise.NextGaussian(_scratch);
        LatentMath.AddScaled(previous, Math.Sqrt(variance), _scratch);
    }
}
