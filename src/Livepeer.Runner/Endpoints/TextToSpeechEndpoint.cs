using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Speech;

namespace Livepeer.Runner.Endpoints;

/// <summary>JSON <c>TextToSpeechParams</c> (RUNNER-CONTRACT §2.9).</summary>
/// <remarks>
/// <c>seed</c> is this runner's addition, not the contract's (ai-runner ignores unknown fields, and so would a client's
/// older runner): a neural voice that samples (Parler-TTS) says the same thing the same way for the same seed.
/// </remarks>
public sealed record TextToSpeechRequest(string Text = "", string Description = TextToSpeechRequest.DefaultDescription, string ModelId = "", long? Seed = null)
{
    public const string DefaultDescription =
        "A male speaker delivers a slightly expressive and animated speech with a moderate speed and pitch.";

    internal static TextToSpeechRequest Bind(JsonFields json)
    {
        var request = new TextToSpeechRequest(
            json.OptionalString("text", ""),
            json.OptionalString("description", DefaultDescription),
            json.OptionalString("model_id", ""),
            json.OptionalInt("seed"));
        json.ThrowIfInvalid();
        return request;
    }
}

internal static class TextToSpeechEndpoint
{
    public static PipelineEndpoint<TextToSpeechRequest> Create(IServiceProvider services)
    {
        var speech = services.GetRequiredService<TextToSpeechPipeline>();
        return new(PipelineContract.TextToSpeech, ParseAsync, request => request.ModelId)
        {
            Describe = route => route.DocumentsBody<TextToSpeechRequest>("application/json").Produces<AudioResponse>(),
            RunAsync = async (call, request, model) =>
            {
                var wav = await speech.RunAsync(call.Lease(model), new SpeechRequest(request.Text, request.Description, request.Seed), call.Aborted);
                return MediaReplies.Audio(wav);
            },
        };
    }

    private static async Task<TextToSpeechRequest> ParseAsync(PipelineCall call)
    {
        var request = TextToSpeechRequest.Bind(await call.ReadJsonAsync());
        // text-to-speech checks its text before auth (RUNNER-CONTRACT §1.4).
        if (request.Text.Length == 0)
            throw new BadInputException("Text input must be provided.");
        call.Authorize();
        return request;
    }
}
