using System.Text.Json;
using System.Text.Json.Serialization;

namespace Livepeer.Runner.Contract;

/// <summary>Source-generated JSON for every body the runner writes: snake_case, compact, nulls written.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.Unspecified,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ImageResponse))]
[JsonSerializable(typeof(VideoResponse))]
[JsonSerializable(typeof(AudioResponse))]
[JsonSerializable(typeof(TextResponse))]
[JsonSerializable(typeof(ImageToTextResponse))]
[JsonSerializable(typeof(MasksResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(HardwareInformation))]
[JsonSerializable(typeof(HardwareStats))]
[JsonSerializable(typeof(HttpError))]
[JsonSerializable(typeof(PlainDetail))]
[JsonSerializable(typeof(HttpValidationError))]
[JsonSerializable(typeof(LlmResponse))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(OpenAiError))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
internal sealed partial class RunnerJson : JsonSerializerContext
{
    /// <summary>
    /// The options every reply is written with: as <see cref="Default"/>, but escaping only what JSON requires
    /// (quotes, backslashes, control characters), as Python's json module does, instead of also escaping
    /// HTML-sensitive characters such as <c>'</c> and <c>+</c>.
    /// </summary>
    public static RunnerJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
