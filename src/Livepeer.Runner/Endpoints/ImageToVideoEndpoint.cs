using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;

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
    // TODO(#15): the run step, once the video engine is registered.
    public static PipelineEndpoint<ImageToVideoRequest> Create(IServiceProvider services) =>
        new(PipelineContract.ImageToVideo, ParseAsync, request => request.ModelId)
        {
            Check = static (_, request) =>
            {
                if (request.Height % 8 != 0 || request.Width % 8 != 0)
                    throw new BadInputException($"`height` and `width` have to be divisible by 8 but are {request.Height} and {request.Width}.");
            },
            Describe = route => route.DocumentsBody<ImageToVideoRequest>("multipart/form-data").Produces<VideoResponse>(),
        };

    private static async Task<ImageToVideoRequest> ParseAsync(PipelineCall call)
    {
        var request = ImageToVideoRequest.Bind(await call.ReadFormAsync(call.Settings.MaxUploadBytes));
        call.Authorize();
        return request;
    }
}
