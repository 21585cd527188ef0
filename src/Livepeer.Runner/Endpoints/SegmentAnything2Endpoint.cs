using System.Text.Json;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;

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

    /// <summary>Checks each prompt array is JSON, with ai-runner's message (no trailing period) when one is not.</summary>
    public void ParsePrompts()
    {
        foreach (var (name, text) in new[] { ("point_coords", PointCoords), ("point_labels", PointLabels), ("box", Box), ("mask_input", MaskInput) })
        {
            if (text is null)
                continue;
            try
            {
                using var _ = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw new BadInputException($"Error parsing JSON for {name}: {e.Message}");
            }
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

internal static class SegmentAnything2Endpoint
{
    // TODO(#13): the run step, once the segmentation engine is registered.
    public static PipelineEndpoint<SegmentAnything2Request> Create(IServiceProvider services) =>
        new(PipelineContract.SegmentAnything2, ParseAsync, request => request.ModelId)
        {
            Check = static (_, request) => request.ParsePrompts(),
            Describe = route => route.DocumentsBody<SegmentAnything2Request>("multipart/form-data").Produces<MasksResponse>(),
        };

    private static async Task<SegmentAnything2Request> ParseAsync(PipelineCall call)
    {
        var request = SegmentAnything2Request.Bind(await call.ReadFormAsync(call.Settings.MaxUploadBytes));
        call.Authorize();
        return request;
    }
}
