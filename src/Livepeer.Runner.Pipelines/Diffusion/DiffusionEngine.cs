using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Diffusion.Transformers;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// Diffusers folders for /text-to-image and /image-to-image: SD1.5- and SDXL-style UNet pipelines
/// (<see cref="DiffusionModel"/>) and the flow-matching transformers FLUX.1 and SD3 / 3.5
/// (<see cref="TransformerDiffusionModel"/>, a folder with <c>transformer/</c>).
/// </summary>
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

    /// <summary>
    /// A transformer request's activations: the attention scores of one row, heads × n² floats and their softmax
    /// (n = image tokens (w/16)·(h/16) plus 512 text tokens; FLUX.1 and SD3 medium have 24 heads), per guidance row,
    /// beside the VAE decode's 1.5 KiB per pixel. 1024² for Flux is about 5.3 GiB; a measured reservation replaces it.
    /// </summary>
    public static long TransformerActivationFor(long width, long height, int batch, int heads)
    {
        const int textTokens = 512;
        var tokens = (width / 16 * (height / 16)) + textTokens;
        return Math.Max(256L << 20, checked((batch * heads * tokens * tokens * 2 * sizeof(float)) + (width * height * 1536)));
    }

    public ModelRequirements? Requirements(string location) =>
        TransformerDiffusionModel.IsTransformerFolder(location) ? TransformerRequirements.Of(location) : DiffusionRequirements.Of(location);

    public async Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        TransformerDiffusionModel.IsTransformerFolder(load.Location)
            ? await TransformerDiffusionModel.LoadAsync(load.ModelId, load.Location, load.Sessions, load.Settings.VaeTileLatents, load.Settings.LoraSingleCopy).ConfigureAwait(false)
            : await DiffusionModel.LoadAsync(load.ModelId, load.Location, load.Sessions, load.Settings.VaeTileLatents, load.Settings.LoraSingleCopy).ConfigureAwait(false);
}
