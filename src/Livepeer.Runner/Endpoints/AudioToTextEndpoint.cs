using System.Globalization;
using System.Text.Json;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Whisper;

namespace Livepeer.Runner.Endpoints;

/// <summary>multipart <c>Body_genAudioToText</c> (RUNNER-CONTRACT §2.5).</summary>
public sealed record AudioToTextRequest(
    UploadedFile Audio,
    string ModelId = "",
    string ReturnTimestamps = "true",
    string Metadata = "{}")
{
    /// <summary>ai-runner's audio limit: 50 MiB.</summary>
    public const long MaxAudioBytes = 50L * 1024 * 1024;

    internal static AudioToTextRequest Bind(FormFields form)
    {
        var request = new AudioToTextRequest(
            form.RequiredFile("audio"),
            form.OptionalString("model_id", ""),
            form.OptionalString("return_timestamps", "true"),
            form.OptionalString("metadata", "{}"));
        form.ThrowIfInvalid();
        return request;
    }

    /// <summary>None, segment or word timestamps; a value the contract refuses throws (<see cref="AudioToTextPipeline.ParseTimestamps"/>).</summary>
    public TimestampMode Timestamps => AudioToTextPipeline.ParseTimestamps(ReturnTimestamps);

    /// <summary>
    /// The gateway's <c>metadata.duration</c> in seconds (a number or a numeric string), or null when absent.
    /// Anything unreadable is ai-runner's 400 "Unable to calculate duration of file".
    /// </summary>
    public double? Duration()
    {
        try
        {
            using var document = JsonDocument.Parse(Metadata);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("duration", out var duration)
                || duration.ValueKind == JsonValueKind.Null)
                return document.RootElement.ValueKind == JsonValueKind.Object ? null : throw new FormatException();
            return duration.ValueKind switch
            {
                JsonValueKind.Number => duration.GetDouble(),
                JsonValueKind.String => double.Parse(duration.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
                _ => throw new FormatException(),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException)
        {
            throw new BadInputException("Unable to calculate duration of file");
        }
    }
}

internal static class AudioToTextEndpoint
{
    public static PipelineEndpoint<AudioToTextRequest> Create(IServiceProvider services)
    {
        var transcription = services.GetRequiredService<AudioToTextPipeline>();
        return new(PipelineContract.AudioToText, ParseAsync, request => request.ModelId)
        {
            Check = static (call, request) =>
            {
                if (request.Audio.Length > AudioToTextRequest.MaxAudioBytes)
                    throw new PayloadTooLargeException("File size exceeds limit.");
                _ = request.Duration();
                _ = request.Timestamps;
            },
            RunAsync = (call, request, model) => RunAsync(transcription, call, request, model),
            Describe = route => route.DocumentsBody<AudioToTextRequest>("multipart/form-data")
                .Produces<TextResponse>()
                .Produces<HttpError>(StatusCodes.Status413PayloadTooLarge)
                .Produces<HttpError>(StatusCodes.Status415UnsupportedMediaType),
        };
    }

    private static async Task<AudioToTextRequest> ParseAsync(PipelineCall call)
    {
        var request = AudioToTextRequest.Bind(await call.ReadFormAsync(AudioToTextRequest.MaxAudioBytes));
        call.Authorize();
        return request;
    }

    private static async Task<IResult> RunAsync(AudioToTextPipeline transcription, PipelineCall call, AudioToTextRequest request, ModelEntry model)
    {
        var result = await transcription.RunAsync(call.Lease(model), request.Audio.Content, request.Timestamps, request.Duration(), call.Aborted);
        var chunks = result.Chunks.Select(c => new TextChunk([c.Start, c.End], c.Text)).ToList();
        return Results.Json(new TextResponse(result.Text, chunks), RunnerJson.Wire.TextResponse);
    }
}
