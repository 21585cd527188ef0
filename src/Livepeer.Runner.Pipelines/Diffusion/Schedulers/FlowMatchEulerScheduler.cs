using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>Where a flow-matching σ grid comes from before its shift.</summary>
public enum FlowSigmaGrid
{
    /// <summary>diffusers' own default (the SD3/3.5 pipelines): n values from the shifted training σ_max·T down to σ_min·T, over T.</summary>
    TrainingRange,

    /// <summary>What the Flux pipelines pass in: linspace(1, 1/n, n).</summary>
    Flux,
}

/// <summary>
/// diffusers' FlowMatchEulerDiscreteScheduler (rectified flow: x_σ = (1 − σ)·x₀ + σ·ε, the denoiser predicts the velocity
/// v = ε − x₀): x ← x + (σ_next − σ)·v down a shifted σ grid that ends at 0, timesteps σ·num_train_timesteps.
/// </summary>
/// <remarks>
/// The step fits <see cref="IDiffusionScheduler"/> as it is; only building the schedule needs more than a step count:
/// which grid the pipeline asks for, and for dynamic shifting (FLUX.1-dev) the resolution's μ. Those come through
/// <see cref="SetTimesteps(int, FlowSigmaGrid, double?, double)"/>; the interface's overload is the SD3 call.
/// </remarks>
public sealed class FlowMatchEulerScheduler(SchedulerConfig config) : IDiffusionScheduler
{
    private float[] _timesteps = [];
    private float[] _sigmas = [];

    public SchedulerConfig Config { get; } = config;

    public ReadOnlySpan<float> Timesteps => _timesteps;

    public ReadOnlySpan<float> Sigmas => _sigmas;

    /// <summary>The first latent is unit noise: at σ = 1 the interpolant is pure ε.</summary>
    public float InitNoiseSigma => 1f;

    /// <summary>The SD3 pipelines' call: the training-range grid with the static shift. Dynamic shifting needs μ; use the other overload.</summary>
    public void SetTimesteps(int steps, double strength = 1.0) => SetTimesteps(steps, FlowSigmaGrid.TrainingRange, mu: null, strength);

    /// <param name="mu">The resolution shift, <see cref="FlowMatchShift.Mu"/>; required when the config uses dynamic shifting, ignored otherwise.</param>
    /// <param name="strength">
    /// Below 1 (img2img) skips the first ⌊steps − steps·strength⌋ steps, the Flux/SD3 img2img rule (which rounds the
    /// kept count up where the UNet pipelines' ⌊steps·strength⌋ rounds it down).
    /// </param>
    public void SetTimesteps(int steps, FlowSigmaGrid grid, double? mu, double strength = 1.0)
    {
        TimestepGrid.ValidateSteps(steps, Config);
        if (Config.UseDynamicShifting && mu is null)
            throw new ArgumentException("This scheduler config uses dynamic shifting; pass the resolution's mu.", nameof(mu));
        var skipped = TimestepGrid.SkippedFlowSteps(steps, strength);

        var sigmas = grid is FlowSigmaGrid.Flux ? FluxGrid(steps) : TrainingRangeGrid(steps);
        FlowMatchShift.Apply(Config, sigmas, mu);

        var train = Config.NumTrainTimesteps;
        var all = new float[steps + 1];
        for (var i = 0; i < steps; i++)
            all[i] = (float)sigmas[i];
        _sigmas = all[skipped..];
        _timesteps = [.. all[skipped..^1].Select(s => (float)((double)s * train))];
    }

    public void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination) => sample.CopyTo(destination);

    public void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        var dt = (double)_sigmas[step + 1] - _sigmas[step];
        LatentMath.Combine(1, sample, dt, modelOutput, previous);
    }

    /// <summary>diffusers' scale_noise: σ·ε + (1 − σ)·x₀ at the σ of <paramref name="step"/>.</summary>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int step, Span<float> destination)
    {
        double sigma = _sigmas[step];
        LatentMath.Combine(1 - sigma, original, sigma, noise, destination);
    }

    private static double[] FluxGrid(int steps) => Grid.Linspace(1.0, 1.0 / steps, steps);

    /// <summary>
    /// The training σ run from T/T down to 1/T, shifted like the inference grid (not under dynamic shifting), so its
    /// ends are σ_max = 1 and σ_min = shift(1/T); the inference grid spans those and is shifted again, as diffusers does.
    /// </summary>
    private double[] TrainingRangeGrid(int steps)
    {
        var train = Config.NumTrainTimesteps;
        var sigmaMin = 1.0 / train;
        if (!Config.UseDynamicShifting)
            sigmaMin = FlowMatchShift.Static(Config.Shift, sigmaMin);
        if (sigmaMin <= 0)
            throw new ModelLoadException(Config.ClassName, "The flow-matching schedule's smallest sigma is not positive.");
        var timesteps = Grid.Linspace(train, sigmaMin * train, steps);
        return [.. timesteps.Select(t => t / train)];
    }
}
