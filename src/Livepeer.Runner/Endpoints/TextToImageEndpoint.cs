using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Endpoints;

/// <summary>JSON <c>TextToImageParams</c> (RUNNER-CONTRACT §2.1).</summary>
public sealed record TextToImageRequest(
    string Prompt,
    string ModelId = "",
    string Loras = "",
    long Height = 576,
    long Width = 1024,
    double GuidanceScale = 7.5,
    string NegativePrompt = "",
    bool SafetyCheck = true,
    long? Seed = null,
    long NumInferenceSteps = 50,
    long NumImagesPerPrompt = 1)
{
    internal static TextToImageRequest Bind(JsonFields json)
    {
        var request = new TextToImageRequest(
            json.RequiredString("prompt"),
            json.OptionalString("model_id", ""),
            json.OptionalString("loras", ""),
            json.Int("height", 576),
            json.Int("width", 1024),
            json.Float("guidance_scale", 7.5),
            json.OptionalString("negative_prompt", ""),
            json.Bool("safety_check", true),
            json.OptionalInt("seed"),
            json.Int("num_inference_steps", 50),
            json.Int("num_images_per_prompt", 1));
        json.ThrowIfInvalid();
        return request;
    }
}

internal static class TextToImageEndpoint
{
    public static PipelineEndpoint<TextToImageRequest> Create(IServiceProvider services)
    {
        var diffusion = services.GetRequiredService<DiffusionReplies>();
        return new(PipelineContract.TextToImage, ParseAsync, request => request.ModelId)
        {
            RunAsync = (call, request, model) => RunAsync(diffusion, call, request, model),
            Describe = route => route.DocumentsBody<TextToImageRequest>("application/json").Produces<ImageResponse>(),
        };
    }

    private static async Task<TextToImageRequest> ParseAsync(PipelineCall call)
    {
        var request = TextToImageRequest.Bind(await call.ReadJsonAsync());
        // text-to-image checks the prompt before auth (RUNNER-CONTRACT §1.4).
        if (request.Prompt.Length == 0)
            throw new BadInputException("Prompt must be provided.");
        call.Authorize();
        return request;
    }

    private static Task<IResult> RunAsync(DiffusionReplies diffusion, PipelineCall call, TextToImageRequest request, ModelEntry model)
    {
        // ai-runner: seed ?? random, then image i gets seed + i; prompts and negative prompts split on '|'.
        var seed = request.Seed ?? Seeds.Random();
        var input = new DiffusionInput(
            DiffusionRequest.SplitPrompt(request.Prompt), DiffusionRequest.SplitPrompt(request.NegativePrompt),
            request.Width, request.Height, request.GuidanceScale, request.NumInferenceSteps, request.Loras);
        return diffusion.GenerateAsync(call, model, input, seed, request.NumImagesPerPrompt, request.SafetyCheck);
    }
}
