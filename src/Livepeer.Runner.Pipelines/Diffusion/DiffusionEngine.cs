using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>SD1.5- and SDXL-style diffusers folders for /text-to-image and /image-to-image.</summary>
public sealed class DiffusionEngine : IEngine
{
    /// <summary>A rough upper bound on one request's latents, attention and VAE at the contract's default sizes.</summary>
    public const long ActivationAllowance = 3L << 30;

    public string Name => "diffusion";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.TextToImage, PipelineNames.ImageToImage];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    /// <summary>One request at a time: a generation binds the model's UNet and VAE buffers for its whole run.</summary>
    public int Concurrency => 1;

    public long ActivationBytes(ModelEntry entry, string location) => ActivationAllowance;

    /// <summary>
    /// One request's activations at its size: about 1.5 KiB per output pixel per guidance-batch image (attention,
    /// the UNet's skip tensors and the VAE decode, fp32), never under 256 MiB; 1024² with CFG is 3 GiB.
    /// </summary>
    public static long ActivationFor(long width, long height, int batch) =>
        Math.Max(256L << 20, checked(width * height * batch * 1536));

    public ModelRequirements? Requirements(string location) => DiffusionRequirements.Of(location);

    public async Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        await DiffusionModel.LoadAsync(load.ModelId, load.Location, load.Sessions, load.Settings.VaeTileLatents).ConfigureAwait(false);
}
