using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// A Stable Video Diffusion folder (MODEL-FORMATS §3) loaded as one unit: <c>image_encoder</c> with the
/// <c>feature_extractor/</c> normalisation, <c>vae_encoder</c>, the spatio-temporal <c>unet</c>, the temporal
/// <c>vae_decoder</c>, the scheduler config and, when the folder has one, a <c>safety_checker</c> for the input image.
/// The frame count is the UNet config's <c>num_frames</c> (diffusers' default when the call gives none).
/// </summary>
public sealed class VideoModel : IDisposable
{
    private VideoModel(string modelId, ClipImageEmbedder imageEncoder, UnetModel unet, DiffusionVae vae, SchedulerConfig scheduler,
        int frames, UnetSizing sizing, SafetyChecker? safetyChecker)
    {
        ModelId = modelId;
        ImageEncoder = imageEncoder;
        Unet = unet;
        Vae = vae;
        SchedulerConfig = scheduler;
        Frames = frames;
        Sizing = sizing;
        SafetyChecker = safetyChecker;
    }

    public string ModelId { get; }

    public ClipImageEmbedder ImageEncoder { get; }

    public UnetModel Unet { get; }

    public DiffusionVae Vae { get; }

    public SchedulerConfig SchedulerConfig { get; }

    /// <summary>Frames of every video this model makes (25 for img2vid-xt, 14 for img2vid).</summary>
    public int Frames { get; }

    public UnetSizing Sizing { get; }

    public SafetyChecker? SafetyChecker { get; }

    public static async Task<VideoModel> LoadAsync(string modelId, string folder, OnnxSessionFactory sessions)
    {
        var schedulerConfig = SchedulerConfigReader.Load(Path.Combine(folder, "scheduler", "scheduler_config.json"), modelId);
        _ = SchedulerFactory.CreateForUnet(schedulerConfig, modelId); // refuse an unsupported scheduler at load, not per request
        string[] components = ["image_encoder", "unet", "vae_encoder", "vae_decoder"];
        var paths = components.Select(c => Graph(folder, c)).ToList();
        foreach (var path in paths.Where(p => !File.Exists(p)))
            throw new ModelLoadException(modelId, $"Model folder of {modelId} lacks {Path.GetRelativePath(folder, path)} (a Stable Video Diffusion export, MODEL-FORMATS §3).");
        var hasSafetyChecker = File.Exists(Graph(folder, "safety_checker"));
        if (hasSafetyChecker)
            paths.Add(Graph(folder, "safety_checker"));
        var processor = ClipImageProcessor.Load(Path.Combine(folder, "feature_extractor", "preprocessor_config.json"));

        var opened = await sessions.CreateAllAsync(modelId, paths).ConfigureAwait(false);
        try
        {
            var imageEncoder = new ClipImageEmbedder(modelId, opened[0], processor);
            var unet = new UnetModel(modelId, opened[1]);
            var vae = new DiffusionVae(modelId, folder, opened[3], opened[2]);
            var safetyChecker = hasSafetyChecker ? new SafetyChecker(modelId, opened[4], processor) : null;
            if (!unet.IsVideo)
                throw new ModelLoadException(modelId, $"The UNet of {modelId} is not a spatio-temporal one: it takes no frames axis and no added_time_ids.");
            if (unet.InChannels != 2 * vae.LatentChannels)
                throw new ModelLoadException(modelId, $"The UNet of {modelId} takes {unet.InChannels} channels; Stable Video Diffusion takes {vae.LatentChannels} noisy + {vae.LatentChannels} image latent channels.");
            if (imageEncoder.Width > 0 && unet.HiddenWidth > 0 && imageEncoder.Width != unet.HiddenWidth)
                throw new ModelLoadException(modelId, $"The image encoder of {modelId} gives {imageEncoder.Width}-wide embeddings; its UNet takes {unet.HiddenWidth}.");
            var sizing = UnetSizing.Read(modelId, Path.Combine(folder, "unet", "config.json"), unet.Session.InputMetadata[UnetModel.Sample].Dimensions, vae.DownFactor);
            return new VideoModel(modelId, imageEncoder, unet, vae, schedulerConfig, VideoUnetConfig.Read(folder).Frames, sizing, safetyChecker);
        }
        catch
        {
            foreach (var session in opened)
                session.Dispose();
            throw;
        }
    }

    private static string Graph(string folder, string component) => Path.Combine(folder, component, "model.onnx");

    public void Dispose()
    {
        ImageEncoder.Dispose();
        Unet.Dispose();
        Vae.Dispose();
        SafetyChecker?.Dispose();
    }
}
