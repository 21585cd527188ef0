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
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
internal sealed partial class RunnerJson : JsonSerializerContext;
