using Livepeer.Runner.Pipelines.Checks;
using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// What <see cref="VideoModel"/> reads of a Stable Video Diffusion folder (MODEL-FORMATS §3), for <c>models check</c>:
/// the pipeline index and scheduler, the CLIP image encoder, the VAE encoder, the spatio-temporal UNet and the temporal
/// VAE decoder (its <c>num_frames</c> input is optional: some exports bake it in).
/// </summary>
internal static class VideoRequirements
{
    public static ModelRequirements? Of(string location) =>
        File.Exists(Path.Combine(location, "model_index.json")) && Directory.Exists(Path.Combine(location, "image_encoder")) ? Svd : null;

    private static readonly ModelRequirements Svd = new("stable-video-diffusion",
        [
            FileNeed.Of("the pipeline's components", "model_index.json"),
            FileNeed.Of("the scheduler", "scheduler/scheduler_config.json"),
            FileNeed.Of("the UNet's frame count", "unet/config.json"),
        ],
        [
            new GraphNeed("image encoder", ["image_encoder/model.onnx"], [Named("pixel_values", FloatTypes)], [Named("image_embeds")]),
            new GraphNeed("UNet", ["unet/model.onnx"], [Named("sample", FloatTypes), Named("timestep"), Named("encoder_hidden_states"), Named("added_time_ids")], []),
            new GraphNeed("VAE encoder", ["vae_encoder/model.onnx"], [Named("sample", FloatTypes)], []),
            new GraphNeed("VAE decoder", ["vae_decoder/model.onnx"], [Named("latent_sample", FloatTypes)], []),
        ]);
}
