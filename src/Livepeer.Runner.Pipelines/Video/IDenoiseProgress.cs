namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// Where a long denoising loop reports each step, so an operator can follow it (the host logs and meters it); the
/// pipeline knows nothing of logging or metrics.
/// </summary>
public interface IDenoiseProgress
{
    /// <param name="step">1-based index of the step just finished.</param>
    /// <param name="elapsed">How long that step took (the UNet run and the scheduler step).</param>
    void StepDone(string pipeline, string modelId, int step, int steps, TimeSpan elapsed);
}
