using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>/image-to-video: Stable Video Diffusion folders (<see cref="VideoModel"/>).</summary>
public sealed class VideoEngine : IEngine
{
    /// <summary>The contract's default size (1024×576), what a model's sessions are sized for when no request says otherwise.</summary>
    private const int DefaultWidth = 1024;

    private const int DefaultHeight = 576;

    public string Name => "video";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.ImageToVideo];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    /// <summary>One request at a time: a generation binds the UNet's frame batch for its whole run.</summary>
    public int Concurrency => 1;

    public ModelRequirements? Requirements(string location) => VideoRequirements.Of(location);

    public long ActivationBytes(ModelEntry entry, string location) =>
        ActivationFor(DefaultWidth, DefaultHeight, Directory.Exists(location) ? VideoUnetConfig.Read(location) : VideoUnetConfig.Default);

    /// <summary>
    /// One request's activations: the UNet runs all frames of both guidance rows in one batch, so for SVD's UNet
    /// (blocks up to 1280 channels) about 768 B per pixel per frame per row (the spatial and temporal attention, the
    /// skip tensors), in proportion for a narrower UNet, never under 512 MiB; SVD-XT at 1024×576 is about 21 GiB. The
    /// VAE decode of one chunk is far smaller. A rough bound: measured growth raises the reservation later.
    /// </summary>
    public static long ActivationFor(long width, long height, VideoUnetConfig unet)
    {
        var perPixel = Math.Max(1L, 768L * unet.WidestBlock / VideoUnetConfig.Default.WidestBlock);
        return Math.Max(512L << 20, checked(width * height * unet.Frames * 2 * perPixel));
    }

    public async Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        await VideoModel.LoadAsync(load.ModelId,
            load.RequireFolder("Stable Video Diffusion", "image_encoder, unet, vae_encoder, vae_decoder, scheduler and feature_extractor"),
            load.Sessions).ConfigureAwait(false);
}
