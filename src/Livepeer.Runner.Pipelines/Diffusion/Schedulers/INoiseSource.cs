namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>A source of standard normal samples; schedulers take one so that tests can pin the noise they add.</summary>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> with the next independent N(0, 1) samples.</summary>
    void NextGaussian(Span<float> destination);
}
