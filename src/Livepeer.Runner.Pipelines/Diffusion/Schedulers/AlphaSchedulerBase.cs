namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// What the VP (alpha-space) schedulers share — DDIM, PNDM, LCM, DDPM: integer training timesteps, unit initial
/// noise, no input scaling, and img2img noising by √ᾱ·x + √(1−ᾱ)·ε.
/// </summary>
public abstract class AlphaSchedulerBase : IDiffusionScheduler
{
    private float[] _timesteps = [];

    protected AlphaSchedulerBase(SchedulerConfig config, NoiseSchedule schedule)
    {
        Config = config;
        Schedule = schedule;
    }

    public SchedulerConfig Config { get; }

    public ReadOnlySpan<float> Timesteps => _timesteps;

    public ReadOnlySpan<float> Sigmas => [];

    public float InitNoiseSigma => 1f;

    public NoiseSchedule Schedule { get; }

    /// <summary>Inference steps asked for in the last <see cref="SetTimesteps"/>, before strength.</summary>
    protected int InferenceSteps { get; private set; }

    public virtual void SetTimesteps(int steps, double strength = 1.0)
    {
        TimestepGrid.ValidateSteps(steps, Config);
        var skipped = TimestepGrid.SkippedSteps(steps, strength);
        InferenceSteps = steps;
        SetTimesteps(BuildTimesteps(steps)[skipped..]);
    }

    protected void SetTimesteps(double[] timesteps) => _timesteps = [.. timesteps.Select(t => (float)t)];

    protected virtual double[] BuildTimesteps(int steps) => TimestepGrid.Descending(Config, steps, roundLinspace: true);

    public void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination)
    {
        if (!sample.Overlaps(destination))
            sample.CopyTo(destination);
    }

    public abstract void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise);

    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int step, Span<float> destination) =>
        Schedule.AddNoise(original, noise, TimestepAt(step), destination);

    protected int TimestepAt(int step) => (int)_timesteps[step];

    /// <summary>ᾱ at a timestep, or the value a step past t = 0 lands on (1 with set_alpha_to_one, else ᾱ₀).</summary>
    protected double AlphaProdOrFinal(int t) =>
        t >= 0 ? Schedule.AlphaCumprod(t) : Config.SetAlphaToOne ? 1.0 : Schedule.AlphaCumprod(0);
}
