using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Moonshine;

/// <summary>
/// What decoding needs from a Moonshine folder: the start and end ids from <c>generation_config.json</c> (else
/// <c>config.json</c>), and the decoder's position limit from <c>config.json</c>.
/// </summary>
public sealed record MoonshineConfig
{
    /// <summary>Moonshine's own length rule (usefulsensors/moonshine and moonshine-js): at most 6 tokens per second of audio.</summary>
    public const double MaxTokensPerSecond = 6;

    public required int DecoderStartTokenId { get; init; }
    public required int EosTokenId { get; init; }

    /// <summary><c>max_position_embeddings</c>: the decoder's rotary positions; a window never decodes past it.</summary>
    public required int MaxPositions { get; init; }

    public static MoonshineConfig Load(string modelId, string modelDirectory)
    {
        try
        {
            var generation = Read(Path.Combine(modelDirectory, "generation_config.json"));
            var config = Read(Path.Combine(modelDirectory, "config.json"));
            if (generation is null && config is null)
                throw new FileNotFoundException("neither generation_config.json nor config.json is there");
            return new MoonshineConfig
            {
                DecoderStartTokenId = Int(generation, config, "decoder_start_token_id"),
                EosTokenId = Int(generation, config, "eos_token_id"),
                MaxPositions = config is { } c && c.TryGetProperty("max_position_embeddings", out var max) ? max.GetInt32() : 512,
            };
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException(modelId, $"Could not read the Moonshine configuration of {modelId} in '{modelDirectory}': {e.Message}", e);
        }
    }

    /// <summary>New tokens one window of <paramref name="samples"/> may take: Moonshine's rule, at least one, within the positions.</summary>
    public int MaxNewTokens(int samples) =>
        Math.Clamp((int)(samples / (double)MoonshineModel.SampleRate * MaxTokensPerSecond), 1, MaxPositions - 1);

    private static JsonElement? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    private static int Int(JsonElement? first, JsonElement? second, string name)
    {
        foreach (var source in (JsonElement?[])[first, second])
        {
            if (source is { } json && json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                return value.ValueKind == JsonValueKind.Array ? value[0].GetInt32() : value.GetInt32();
        }

        throw new KeyNotFoundException($"{name} is in neither generation_config.json nor config.json");
    }
}
