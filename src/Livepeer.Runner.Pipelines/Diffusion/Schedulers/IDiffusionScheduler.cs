namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// One denoising schedule, driven step by step by a pipeline loop. All tensors are flat float spans of the same length
/// (batch × channels × height × width); results go into caller-provided buffers, and any history a multistep method
/// keeps lives in buffers allocated once per latent size, so a loop allocates nothing latent-sized per step.
/// </summary>
/// <remarks>
/// Steps are addressed by their index into <see cref="Timesteps"/> rather than by timestep value as diffusers does:
/// the loop knows the index, and it avoids diffusers' search for a float among possibly repeated timesteps
/// (PNDM repeats one; img2img starts mid-schedule). Call <see cref="Step"/> for indices 0, 1, 2… in order.
/// </remarks>
public interface IDiffusionScheduler
{
    SchedulerConfig Config { get; }

    /// <summary>The values to give the denoiser as its timestep, one per step (after strength has cut the start off).</summary>
    ReadOnlySpan<float> Timesteps { get; }

    /// <summary>For sigma-space schedulers, the noise level at each step plus the final one (Timesteps.Length + 1); otherwise empty.</summary>
    ReadOnlySpan<float> Sigmas { get; }

    /// <summary>The standard deviation to multiply unit Gaussian noise by for the first latent of text-to-image.</summary>
    float InitNoiseSigma { get; }

    /// <summary>
    /// Builds the schedule for <paramref name="steps"/> inference steps. A <paramref name="strength"/> below 1 (img2img)
    /// keeps only the last ⌊steps·strength⌋ of them, as diffusers' img2img pipelines do; it is a double because that
    /// truncation is a float64 product in diffusers, and a float32 strength would round some products the other way.
    /// </summary>
    void SetTimesteps(int steps, double strength = 1.0);

    /// <summary>Writes the denoiser's input for step <paramref name="step"/> (Euler-type schedulers divide by √(σ²+1)).</summary>
    void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination);

    /// <summary>
    /// Writes the sample one step less noisy into <paramref name="previous"/>, which may be the same span as
    /// <paramref name="sample"/>. Stochastic schedulers draw their noise from <paramref name="noise"/>.
    /// </summary>
    void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise);

    /// <summary>Noises a clean latent to the level of step <paramref name="step"/> (the first step for img2img).</summary>
    void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int step, Span<float> destination);
}
