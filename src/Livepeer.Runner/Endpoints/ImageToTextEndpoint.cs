using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Captioning;

namespace Livepeer.Runner.Endpoints;

/// <summary>multipart <c>Body_genImageToText</c> (RUNNER-CONTRACT §2.8).</summary>
public sealed record ImageToTextRequest(UploadedFile Image, string Prompt = "", string ModelId = "")
{
    /// <summary>ai-runner's image-to-text upload limit: 50 MiB.</summary>
    public const long MaxImageBytes = 50L * 1024 * 1024;

    internal static ImageToTextRequest Bind(FormFields form)
    {
        var request = new ImageToTextRequest(
            form.RequiredFile("image"),
            form.OptionalString("prompt", ""),
            form.OptionalString("model_id", ""));
        form.ThrowIfInvalid();
        return request;
    }
}

internal static class ImageToTextEndpoint
{
    public static PipelineEndpoint<ImageToTextRequest> Create(IServiceProvider services)
    {
        var captioning = services.GetRequiredService<ImageToTextPipeline>();
        return new(PipelineContract.ImageToText, ParseAsync, request => request.ModelId)
        {
            Check = static (_, request) =>
            {
                if (request.Image.Length > ImageToTextRequest.MaxImageBytes)
                    throw new PayloadTooLargeException("File size exceeds limit");
            },
            Describe = route => route.DocumentsBody<ImageToTextRequest>("multipart/form-data")
                .Produces<ImageToTextResponse>()
                .Produces<HttpError>(StatusCodes.Status413PayloadTooLarge),
            RunAsync = async (call, request, model) =>
            {
                var text = await captioning.RunAsync(call.Lease(model), request.Image.Content, request.Prompt, call.Aborted);
                return Results.Json(new ImageToTextResponse(text), RunnerJson.Wire.ImageToTextResponse);
            },
        };
    }

    private static async Task<ImageToTextRequest> ParseAsync(PipelineCall call)
    {
        var request = ImageToTextRequest.Bind(await call.ReadFormAsync(ImageToTextRequest.MaxImageBytes));
        call.Authorize();
        return request;
    }
}
