namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' EulerAncestralDiscreteScheduler (k-diffusion's sample_euler_ancestral): an Euler step down to σ_down,
/// then fresh noise of size σ_up, where σ_up² = σ_next²(σ² − σ_next²)/σ² and σ_down² = σ_next² − σ_up².
/// instruct-pix2pix ships it.
/// </summary>
public sealed class EulerAncestralScheduler(SchedulerConfig config, NoiseSchedule schedule) : EulerSchedulerBase(config, schedule)
{
    private float[] _noise = [];

    protected override (float[] Timesteps, float[] Sigmas) BuildSchedule(int steps)
    {
        var timesteps = TimestepGrid.Descending(Config, steps, roundLinspace: false);
        return (ToFloat(timesteps), ToFloat([.. SigmasAt(timesteps), 0.0]));
    }

    public override void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        double sigma = Sigmas[step];
        double next = Sigmas[step + 1];
        var up = Math.Sqrt(next * next * ((sigma * sigma) - (next * next)) / (sigma * sigma));
        var down = Math.Sqrt((next * next) - (up * up));
        var (s, m) = LatentMath.OriginalFromSigma(Config.PredictionType, sigma);

        var r = (down - sigma) / sigma;
        LatentMath.Combine(1 + (r * (1 - s)), sample, -r * m, modelOutput, previous);

        if (_noise.Length != sample.Length)
            _noise = new float[sample.Length];
        noise.NextGaussian(_noise);
        LatentMath.AddScaled(previous, up, _noise);
    }
}
