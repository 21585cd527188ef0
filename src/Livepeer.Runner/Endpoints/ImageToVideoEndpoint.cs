using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Video;

namespace Livepeer.Runner.Endpoints;

/// <summary>multipart <c>Body_genImageToVideo</c> (RUNNER-CONTRACT §2.3).</summary>
public sealed record ImageToVideoRequest(
    UploadedFile Image,
    string ModelId = "",
    long Height = 576,
    long Width = 1024,
    long Fps = 6,
    long MotionBucketId = 127,
    double NoiseAugStrength = 0.02,
    bool SafetyCheck = true,
    long? Seed = null,
    long NumInferenceSteps = 25)
{
    internal static ImageToVideoRequest Bind(FormFields form)
    {
        var request = new ImageToVideoRequest(
            form.RequiredFile("image"),
            form.OptionalString("model_id", ""),
            form.Int("height", 576),
            form.Int("width", 1024),
            form.Int("fps", 6),
            form.Int("motion_bucket_id", 127),
            form.Float("noise_aug_strength", 0.02),
            form.Bool("safety_check", true),
            form.OptionalInt("seed"),
            form.Int("num_inference_steps", 25));
        form.ThrowIfInvalid();
        return request;
    }
}

internal static class ImageToVideoEndpoint
{
    public static PipelineEndpoint<ImageToVideoRequest> Create(IServiceProvider services)
    {
        var video = services.GetRequiredService<ImageToVideoPipeline>();
        var notices = services.GetRequiredService<SafetyCheckNotices>();
        return new(PipelineContract.ImageToVideo, ParseAsync, request => request.ModelId)
        {
            Check = static (_, request) =>
            {
                // ai-runner has no upload limit here; an upload over this runner's is the 400 of a limit (no 413 on this route).
                if (request.Image.IsTruncated)
                    throw new PayloadTooLargeException("File size exceeds limit.");
                if (request.Height % 8 != 0 || request.Width % 8 != 0)
                    throw new BadInputException($"`height` and `width` have to be divisible by 8 but are {request.Height} and {request.Width}.");
            },
            RunAsync = (call, request, model) => RunAsync(video, notices, call, request, model),
            Describe = route => route.DocumentsBody<ImageToVideoRequest>("multipart/form-data").Produces<VideoResponse>(),
        };
    }

    private static async Task<IResult> RunAsync(ImageToVideoPipeline video, SafetyCheckNotices notices, PipelineCall call, ImageToVideoRequest request, ModelEntry model)
    {
        // ai-runner: seed ?? random, the same seed on every frame; nsfw is the input image's verdict, false when unchecked.
        var seed = request.Seed ?? Seeds.Random();
        var input = new VideoInput(request.Image.Content, request.Width, request.Height, request.Fps, request.MotionBucketId,
            request.NoiseAugStrength, request.NumInferenceSteps, request.SafetyCheck);
        var output = await video.RunAsync(call.Lease(model), input, seed, call.Aborted);
        if (!output.HasSafetyChecker)
            notices.NoteUnavailable(model.Pipeline, model.ModelId, request.SafetyCheck);
        return MediaReplies.Video(output.Frames, output.Seed, output.Nsfw, call.Settings.PngCompressionLevel);
    }

    private static async Task<ImageToVideoRequest> ParseAsync(PipelineCall call)
    {
        var request = ImageToVideoRequest.Bind(await call.ReadFormAsync(call.Settings.MaxUploadBytes));
        call.Authorize();
        return request;
    }
}
