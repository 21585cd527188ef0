using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// One request's generation on a loaded model, its conditioning computed once: a UNet pipeline
/// (<see cref="DiffusionGenerator"/>) or a flow-matching transformer (<see cref="Transformers.FlowGenerator"/>).
/// </summary>
public interface IImageGenerator : IDisposable
{
    /// <summary>Generates one image from <paramref name="seed"/>; the same request and seed give the same pixels.</summary>
    RgbImage Generate(ulong seed, CancellationToken cancellationToken);
}
