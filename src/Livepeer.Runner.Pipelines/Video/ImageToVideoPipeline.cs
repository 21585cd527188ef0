using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>A request to /image-to-video as the route received it (RUNNER-CONTRACT §2.3).</summary>
public sealed record VideoInput(byte[] Image, long Width, long Height, long Fps, long MotionBucketId, double NoiseAugStrength, long Steps, bool SafetyCheck);

/// <summary>
/// The frames of one video, the seed every frame reports, and <paramref name="Nsfw"/>, the input image's verdict
/// (false when the check was off or the model has no checker: <paramref name="HasSafetyChecker"/>).
/// </summary>
public sealed record VideoOutput(IReadOnlyList<RgbImage> Frames, long Seed, bool Nsfw, bool HasSafetyChecker);

/// <summary>
/// /image-to-video as ai-runner runs StableVideoDiffusionPipeline: decodes the upload (a failure is the route's 500),
/// bounds the request's pixels × frames (RUNNER_MAX_VIDEO_PIXELS), leases the model with the request's activation
/// estimate, checks the input image with the model's safety checker when asked (the image is not altered), then
/// denoises step by step, reporting each step to <see cref="IDenoiseProgress"/>, and decodes the frames.
/// </summary>
public sealed class ImageToVideoPipeline(ModelManager models, ModelLocator locator, RunnerSettings settings, TimeProvider clock, IDenoiseProgress progress)
{
    /// <summary>diffusers' num_inference_steps default, used when the request's is below 1.</summary>
    public const int DefaultSteps = 25;

    public async Task<VideoOutput> RunAsync(LeaseRequest model, VideoInput input, long seed, CancellationToken cancellationToken)
    {
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(input.Image, settings.MaxImagePixels);
        }
        catch (BadInputException e)
        {
            // RUNNER-CONTRACT §2.3: ai-runner decodes the image inside its try, so a bad upload is the route's 500.
            throw new InvalidDataException(e.Message, e);
        }

        if (input.Width <= 0 || input.Height <= 0)
            throw new BadInputException($"`height` and `width` must be positive but are {input.Height} and {input.Width}.");
        var unet = VideoUnetConfig.Read(locator.Locate(model.Entry));
        var frames = unet.Frames;
        var pixels = (Int128)input.Width * input.Height * frames;
        if (pixels > settings.MaxVideoPixels)
            throw new BadInputException(
                $"A {input.Width}x{input.Height} video of {frames} frames has {pixels} pixels; this runner generates at most {settings.MaxVideoPixels} (RUNNER_MAX_VIDEO_PIXELS).");

        var activations = VideoEngine.ActivationFor(input.Width, input.Height, unet);
        using var lease = await models.AcquireAsync(model with { ActivationBytes = activations }, cancellationToken).ConfigureAwait(false);
        var engine = lease.Get<VideoModel>();
        var nsfw = input.SafetyCheck && engine.SafetyChecker is { } checker
            && checker.Check(new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone()), cancellationToken);

        var request = new VideoRequest(image, (int)input.Width, (int)input.Height, input.Fps, input.MotionBucketId, input.NoiseAugStrength,
            input.Steps < 1 ? DefaultSteps : (int)Math.Min(input.Steps, int.MaxValue), settings.VideoDecodeChunk);
        using var generator = new VideoGenerator(engine, request, unchecked((ulong)seed), cancellationToken);
        for (var step = 0; step < generator.Steps; step++)
        {
            var started = clock.GetTimestamp();
            generator.Step(step, cancellationToken);
            progress.StepDone(PipelineNames.ImageToVideo, model.ModelId, step + 1, generator.Steps, clock.GetElapsedTime(started));
        }

        return new VideoOutput(generator.Decode(cancellationToken), seed, nsfw, engine.SafetyChecker is not null);
    }
}
