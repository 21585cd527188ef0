namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' EulerDiscreteScheduler (Karras et al. 2022, Algorithm 2 without churn): x ← x + (σ_next − σ)·(x − x̂₀)/σ.
/// Covers SDXL (leading), SDXL-Lightning (trailing), Karras σ and SVD's continuous timesteps.
/// </summary>
public sealed class EulerDiscreteScheduler(SchedulerConfig config, NoiseSchedule schedule) : EulerSchedulerBase(config, schedule)
{
    protected override (float[] Timesteps, float[] Sigmas) BuildSchedule(int steps)
    {
        var timesteps = TimestepGrid.Descending(Config, steps, roundLinspace: false);
        var sigmas = Config.InterpolationType is SigmaInterpolation.LogLinear
            ? [.. Grid.Linspace(Math.Log(Schedule.Sigma(Schedule.TrainTimesteps - 1)), Math.Log(Schedule.Sigma(0)), steps + 1).Select(Math.Exp)]
            : SigmasAt(timesteps);

        if (Config.UseKarrasSigmas)
        {
            // The range comes from the config when it names one (SVD: 0.002–700), else from the spacing's own ends.
            sigmas = SigmaMath.Karras(Config.SigmaMin ?? sigmas[^1], Config.SigmaMax ?? sigmas[0], steps);
            timesteps = [.. sigmas.Select(s => SigmaMath.SigmaToTimestep(s, Schedule))];
        }

        var last = Config.FinalSigmasType is FinalSigmasType.SigmaMin ? Schedule.Sigma(0) : 0.0;
        var finalSigmas = ToFloat([.. sigmas, last]);

        // SVD's EDM-preconditioned UNet takes c_noise = ¼·ln σ instead of a training timestep.
        var finalTimesteps = Config.TimestepType is TimestepType.Continuous && Config.PredictionType is PredictionType.VPrediction
            ? ToFloat(finalSigmas[..^1].Select(s => 0.25 * Math.Log(s)))
            : ToFloat(timesteps);
        return (finalTimesteps, finalSigmas);
    }

    public override void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        double sigma = Sigmas[step];
        double next = Sigmas[step + 1];
        var (s, m) = LatentMath.OriginalFromSigma(Config.PredictionType, sigma);

        // x + r·(x − x̂₀) with r = (σ_next − σ)/σ and x̂₀ = s·x + m·out, as one linear combination of x and out.
        var r = (next - sigma) / sigma;
        LatentMath.Combine(1 + (r * (1 - s)), sample, -r * m, modelOutput, previous);
    }
}
