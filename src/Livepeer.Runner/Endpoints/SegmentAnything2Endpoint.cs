using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Segmentation;

namespace Livepeer.Runner.Endpoints;

/// <summary>multipart <c>Body_genSegmentAnything2</c> (RUNNER-CONTRACT §2.6); the prompt arrays are JSON text.</summary>
public sealed record SegmentAnything2Request(
    UploadedFile Image,
    string ModelId = "",
    string? PointCoords = null,
    string? PointLabels = null,
    string? Box = null,
    string? MaskInput = null,
    bool MultimaskOutput = true,
    bool ReturnLogits = true,
    bool NormalizeCoords = true)
{
    internal static SegmentAnything2Request Bind(FormFields form)
    {
        var request = new SegmentAnything2Request(
            form.RequiredFile("image"),
            form.OptionalString("model_id", ""),
            NullIfEmpty(form.OptionalString("point_coords", "")),
            NullIfEmpty(form.OptionalString("point_labels", "")),
            NullIfEmpty(form.OptionalString("box", "")),
            NullIfEmpty(form.OptionalString("mask_input", "")),
            form.Bool("multimask_output", true),
            form.Bool("return_logits", true),
            form.Bool("normalize_coords", true));
        form.ThrowIfInvalid();
        return request;
    }

    private SegmentationPrompt? _prompt;

    /// <summary>
    /// The prompt fields parsed and checked (SAM2ImagePredictor's rules); ai-runner's message, without a trailing period,
    /// when one is not JSON: "Error parsing JSON for point_coords: …". Parsed once, when the contract's order first asks.
    /// </summary>
    public SegmentationPrompt Prompt => _prompt ??= SegmentationPrompt.Parse(PointCoords, PointLabels, Box, MaskInput, MultimaskOutput, ReturnLogits, NormalizeCoords);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

internal static class SegmentAnything2Endpoint
{
    public static PipelineEndpoint<SegmentAnything2Request> Create(IServiceProvider services)
    {
        var segmentation = services.GetRequiredService<SegmentAnything2Pipeline>();
        return new(PipelineContract.SegmentAnything2, ParseAsync, request => request.ModelId)
        {
            Check = static (call, request) => _ = request.Prompt,
            RunAsync = async (call, request, model) =>
                MasksReply(await segmentation.RunAsync(call.Lease(model), request.Image.Content, request.Prompt, call.Aborted)),
            Describe = route => route.DocumentsBody<SegmentAnything2Request>("multipart/form-data").Produces<MasksResponse>(),
        };
    }

    private static async Task<SegmentAnything2Request> ParseAsync(PipelineCall call)
    {
        var request = SegmentAnything2Request.Bind(await call.ReadFormAsync(call.Settings.MaxUploadBytes));
        call.Authorize();
        return request;
    }

    /// <summary>
    /// The contract's MasksResponse written straight to the response body as it is formatted (three masks of a 1024²
    /// image are tens of MB of Python float text), never built as one string.
    /// </summary>
    private static IResult MasksReply(SegmentationResult result) =>
        new StreamedJson((writer, cancellationToken) => SegmentationResponseWriter.WriteAsync(result, writer, cancellationToken));
}
