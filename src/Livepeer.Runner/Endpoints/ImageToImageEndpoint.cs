using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Endpoints;

/// <summary>multipart <c>Body_genImageToImage</c> (RUNNER-CONTRACT §2.2).</summary>
public sealed record ImageToImageRequest(
    UploadedFile Image,
    string Prompt,
    string ModelId = "",
    string Loras = "",
    double Strength = 0.8,
    double GuidanceScale = 7.5,
    double ImageGuidanceScale = 1.5,
    string NegativePrompt = "",
    bool SafetyCheck = true,
    long? Seed = null,
    long NumInferenceSteps = 100,
    long NumImagesPerPrompt = 1)
{
    internal static ImageToImageRequest Bind(FormFields form)
    {
        var request = new ImageToImageRequest(
            form.RequiredFile("image"),
            form.RequiredString("prompt"),
            form.OptionalString("model_id", ""),
            form.OptionalString("loras", ""),
            form.Float("strength", 0.8),
            form.Float("guidance_scale", 7.5),
            form.Float("image_guidance_scale", 1.5),
            form.OptionalString("negative_prompt", ""),
            form.Bool("safety_check", true),
            form.OptionalInt("seed"),
            form.Int("num_inference_steps", 100),
            form.Int("num_images_per_prompt", 1));
        form.ThrowIfInvalid();
        return request;
    }
}

internal static class ImageToImageEndpoint
{
    public static PipelineEndpoint<ImageToImageRequest> Create(IServiceProvider services)
    {
        var diffusion = services.GetRequiredService<DiffusionReplies>();
        return new(PipelineContract.ImageToImage, ParseAsync, request => request.ModelId)
        {
            Check = static (_, request) =>
            {
                if (request.Image.IsTruncated)
                    throw new PayloadTooLargeException("File size exceeds limit.");
            },
            RunAsync = (call, request, model) => RunAsync(diffusion, call, request, model),
            Describe = route => route.DocumentsBody<ImageToImageRequest>("multipart/form-data").Produces<ImageResponse>(),
        };
    }

    private static async Task<ImageToImageRequest> ParseAsync(PipelineCall call)
    {
        var request = ImageToImageRequest.Bind(await call.ReadFormAsync(call.Settings.MaxUploadBytes));
        call.Authorize();
        return request;
    }

    private static Task<IResult> RunAsync(DiffusionReplies diffusion, PipelineCall call, ImageToImageRequest request, ModelEntry model)
    {
        // Unlike text-to-image, the prompt is not split, and the negative prompt is passed even when empty (so
        // SDXL encodes "" rather than zeroing the negative branch, as diffusers does for a non-None negative prompt).
        var seed = request.Seed ?? Seeds.Random();
        var input = new DiffusionInput(
            [request.Prompt], [request.NegativePrompt], 0, 0, request.GuidanceScale, request.NumInferenceSteps, request.Loras,
            request.Strength, request.ImageGuidanceScale, request.Image.Content);
        return diffusion.GenerateAsync(call, model, input, seed, request.NumImagesPerPrompt, request.SafetyCheck);
    }
}
