namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// What the k-diffusion style Euler schedulers share: they work on the VE latent x = x₀ + σ·ε, so the first latent is
/// noise times the largest σ, the denoiser sees x/√(σ²+1), and img2img noises a latent by adding σ·ε.
/// </summary>
public abstract class EulerSchedulerBase : IDiffusionScheduler
{
    private float[] _timesteps = [];
    private float[] _sigmas = [];

    protected EulerSchedulerBase(SchedulerConfig config, NoiseSchedule schedule)
    {
        Config = config;
        Schedule = schedule;
    }

    public SchedulerConfig Config { get; }

    public ReadOnlySpan<float> Timesteps => _timesteps;

    public ReadOnlySpan<float> Sigmas => _sigmas;

    public float InitNoiseSigma { get; private set; } = 1f;

    protected NoiseSchedule Schedule { get; }

    public void SetTimesteps(int steps, double strength = 1.0)
    {
        TimestepGrid.ValidateSteps(steps, Config);
        var skipped = TimestepGrid.SkippedSteps(steps, strength);
        var (timesteps, sigmas) = BuildSchedule(steps);

        // diffusers takes the largest σ of the whole schedule, before img2img cuts its start off. Leading spacing
        // stops short of the noisiest training step, hence the √(σ²+1) there.
        var maxSigma = sigmas.Max();
        InitNoiseSigma = Config.TimestepSpacing is TimestepSpacing.Leading ? MathF.Sqrt((maxSigma * maxSigma) + 1) : maxSigma;
        _timesteps = timesteps[skipped..];
        _sigmas = sigmas[skipped..];
    }

    /// <summary>The full schedule for <paramref name="steps"/> steps: timesteps, and σ per step followed by the final σ.</summary>
    protected abstract (float[] Timesteps, float[] Sigmas) BuildSchedule(int steps);

    public void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination)
    {
        double sigma = _sigmas[step];
        System.Numerics.Tensors.TensorPrimitives.Multiply(sample, (float)(1 / Math.Sqrt((sigma * sigma) + 1)), destination);
    }

    public abstract void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise);

    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int step, Span<float> destination) =>
        LatentMath.Combine(1, original, _sigmas[step], noise, destination);

    /// <summary>σ at each timestep, read off the training table by linear interpolation in t.</summary>
    protected double[] SigmasAt(double[] timesteps) =>
        [.. timesteps.Select(t => Grid.Interpolate(t, Schedule.Sigma, Schedule.TrainTimesteps))];

    protected static float[] ToFloat(IEnumerable<double> values) => [.. values.Select(v => (float)v)];
}
