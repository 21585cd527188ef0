using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>/upscale: super-resolution graphs (ESRGAN family) and the Stable Diffusion x4 upscaler (<see cref="UpscaleModels"/>).</summary>
public sealed class UpscaleEngine : IEngine
{
    /// <summary>A super-resolution graph's tiles; the x4 upscaler runs a UNet like text-to-image's instead.</summary>
    private const long TileAllowance = 256L << 20;

    public string Name => "upscale";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.Upscale];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    public int Concurrency => 1;

    public long ActivationBytes(ModelEntry entry, string location) =>
        UpscaleModels.IsDiffusion(location) ? DiffusionEngine.ActivationAllowance : TileAllowance;

    public ModelRequirements? Requirements(string location) => UpscaleModels.Requirements(location);

    public async Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        await UpscaleModels.LoadAsync(load.ModelId, load.Location, load.Sessions, load.Settings.UpscaleTileSize, load.Settings.VaeTileLatents).ConfigureAwait(false);
}
