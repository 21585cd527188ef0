using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;

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
    public static void MapImageToText(this IEndpointRouteBuilder app) =>
        app.MapPipeline(PipelineContract.ImageToText, HandleAsync)
            .DocumentsBody<ImageToTextRequest>("multipart/form-data")
            .Produces<ImageToTextResponse>()
            .Produces<HttpError>(StatusCodes.Status413PayloadTooLarge);

    private static async Task<IResult> HandleAsync(PipelineCall call)
    {
        var request = ImageToTextRequest.Bind(await call.ReadFormAsync(ImageToTextRequest.MaxImageBytes));
        call.Authorize();
        var model = call.ResolveModel(request.ModelId);
        if (request.Image.Length > ImageToTextRequest.MaxImageBytes)
            throw new PayloadTooLargeException("File size exceeds limit");
        throw call.EngineNotBuilt(model);
    }
}
