using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Upscale;

namespace Livepeer.Runner.Endpoints;

/// <summary>multipart <c>Body_genUpscale</c> (RUNNER-CONTRACT §2.4).</summary>
public sealed record UpscaleRequest(
    UploadedFile Image,
    string Prompt,
    string ModelId = "",
    bool SafetyCheck = true,
    long? Seed = null,
    long NumInferenceSteps = 75)
{
    internal static UpscaleRequest Bind(FormFields form)
    {
        var request = new UpscaleRequest(
            form.RequiredFile("image"),
            form.RequiredString("prompt"),
            form.OptionalString("model_id", ""),
            form.Bool("safety_check", true),
            form.OptionalInt("seed"),
            form.Int("num_inference_steps", 75));
        form.ThrowIfInvalid();
        return request;
    }
}

internal static class UpscaleEndpoint
{
    public static PipelineEndpoint<UpscaleRequest> Create(IServiceProvider services)
    {
        var upscale = services.GetRequiredService<UpscalePipeline>();
        var notices = services.GetRequiredService<SafetyCheckNotices>();
        return new(PipelineContract.Upscale, ParseAsync, request => request.ModelId)
        {
            Check = static (call, request) =>
            {
                if (request.Image.Length > call.Settings.MaxUploadBytes)
                    throw new PayloadTooLargeException("File size exceeds limit.");
            },
            RunAsync = (call, request, model) => RunAsync(upscale, notices, call, request, model),
            Describe = route => route.DocumentsBody<UpscaleRequest>("multipart/form-data").Produces<ImageResponse>(),
        };
    }

    private static async Task<UpscaleRequest> ParseAsync(PipelineCall call)
    {
        var request = UpscaleRequest.Bind(await call.ReadFormAsync(call.Settings.MaxUploadBytes));
        call.Authorize();
        return request;
    }

    private static async Task<IResult> RunAsync(UpscalePipeline upscale, SafetyCheckNotices notices, PipelineCall call, UpscaleRequest request, ModelEntry model)
    {
        // ai-runner treats seed 0 like an absent seed (`seed or random`); kept for parity.
        var seed = request.Seed is { } given and not 0 ? given : Seeds.Random();
        var parameters = new UpscaleParameters(request.Prompt, seed, request.NumInferenceSteps);
        var output = await upscale.RunAsync(call.Lease(model), request.Image.Content, parameters, request.SafetyCheck, call.Aborted);
        if (!output.Checked)
            notices.NoteUnavailable(model.Pipeline, model.ModelId, request.SafetyCheck);
        return MediaReplies.Images([new EncodedMedia(output.Png, seed, output.Nsfw)]);
    }
}
