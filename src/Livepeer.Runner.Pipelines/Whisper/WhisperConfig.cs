using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// What decoding needs from the model's own files: special ids and suppress lists from <c>generation_config.json</c>
/// (MODEL-FORMATS §4.4), mel bins from <c>preprocessor_config.json</c> (with its embedded <c>mel_filters</c> when an
/// older export has them), the no-speech token's id from the tokenizer. Nothing here is a constant of a model.
/// </summary>
public sealed record WhisperConfig
{
    public required int DecoderStartTokenId { get; init; }
    public required int EosTokenId { get; init; }
    public required int NoTimestampsTokenId { get; init; }

    /// <summary><c>&lt;|0.00|&gt;</c>: always <c>no_timestamps_token_id + 1</c>; each id above it is 0.02 s more.</summary>
    public int TimestampBegin => NoTimestampsTokenId + 1;

    public required IReadOnlyDictionary<string, int> LanguageToId { get; init; }
    public required IReadOnlyDictionary<string, int> TaskToId { get; init; }

    /// <summary>The forced language of <c>forced_decoder_ids</c> (tiny: <c>&lt;|en|&gt;</c>), null when the model leaves it open (large-v3).</summary>
    public int? ForcedLanguageId { get; init; }

    public required IReadOnlyList<int> SuppressTokens { get; init; }
    public required IReadOnlyList<int> BeginSuppressTokens { get; init; }
    public required int MaxLength { get; init; }
    public int? MaxInitialTimestampIndex { get; init; }
    public required bool IsMultilingual { get; init; }
    public required int MelBins { get; init; }
    public float[]? MelFilters { get; init; }

    /// <summary><c>alignment_heads</c>: the [layer, head] cross-attention heads that follow the audio (word timestamps).</summary>
    public IReadOnlyList<AlignmentHead> AlignmentHeads { get; init; } = [];

    /// <summary><c>config.json</c>'s <c>median_filter_width</c> (transformers' default 7): smoothing of those heads' weights.</summary>
    public int MedianFilterWidth { get; init; } = 7;

    public const double SecondsPerTimestamp = 0.02;

    public static WhisperConfig Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "generation_config.json");
        try
        {
            using var generation = JsonDocument.Parse(File.ReadAllText(path));
            var g = generation.RootElement;
            var languages = ReadMap(g, "lang_to_id");
            var tasks = ReadMap(g, "task_to_id");
            int? forcedLanguage = null;
            if (g.TryGetProperty("forced_decoder_ids", out var forced) && forced.ValueKind == JsonValueKind.Array)
            {
                foreach (var pair in forced.EnumerateArray())
                {
                    if (pair[1].ValueKind == JsonValueKind.Number && languages.ContainsValue(pair[1].GetInt32()))
                        forcedLanguage = pair[1].GetInt32();
                }
            }

            var (melBins, filters) = ReadPreprocessor(modelDirectory);
            return new WhisperConfig
            {
                DecoderStartTokenId = g.GetProperty("decoder_start_token_id").GetInt32(),
                EosTokenId = ReadFirstInt(g.GetProperty("eos_token_id")),
                NoTimestampsTokenId = g.GetProperty("no_timestamps_token_id").GetInt32(),
                LanguageToId = languages,
                TaskToId = tasks,
                ForcedLanguageId = forcedLanguage,
                SuppressTokens = ReadInts(g, "suppress_tokens"),
                BeginSuppressTokens = ReadInts(g, "begin_suppress_tokens"),
                MaxLength = g.TryGetProperty("max_length", out var max) ? max.GetInt32() : 448,
                MaxInitialTimestampIndex = g.TryGetProperty("max_initial_timestamp_index", out var mi) && mi.ValueKind == JsonValueKind.Number ? mi.GetInt32() : null,
                IsMultilingual = g.TryGetProperty("is_multilingual", out var multi) ? multi.GetBoolean() : languages.Count > 0,
                MelBins = melBins,
                MelFilters = filters,
                AlignmentHeads = ReadAlignmentHeads(g),
                MedianFilterWidth = ReadMedianFilterWidth(modelDirectory),
            };
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException("", $"Could not read the Whisper configuration in '{modelDirectory}': {e.Message}", e);
        }
    }

    private static (int MelBins, float[]? Filters) ReadPreprocessor(string modelDirectory)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDirectory, "preprocessor_config.json")));
        var root = json.RootElement;
        var melBins = root.GetProperty("feature_size").GetInt32();
        if (!root.TryGetProperty("mel_filters", out var filters) || filters.ValueKind != JsonValueKind.Array)
            return (melBins, null);

        // Stored [201][melBins] (frequency-major, as WhisperFeatureExtractor keeps it); the spectrogram wants [melBins][201].
        var rows = filters.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var transposed = new float[melBins * rows.Length];
        for (var f = 0; f < rows.Length; f++)
        {
            for (var m = 0; m < melBins; m++)
                transposed[(m * rows.Length) + f] = rows[f][m];
        }

        return (melBins, transposed);
    }

    private static AlignmentHead[] ReadAlignmentHeads(JsonElement root) =>
        root.TryGetProperty("alignment_heads", out var heads) && heads.ValueKind == JsonValueKind.Array
            ? [.. heads.EnumerateArray().Select(pair => new AlignmentHead(pair[0].GetInt32(), pair[1].GetInt32()))]
            : [];

    private static int ReadMedianFilterWidth(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path))
            return 7;
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        return config.RootElement.TryGetProperty("median_filter_width", out var width) && width.ValueKind == JsonValueKind.Number ? width.GetInt32() : 7;
    }

    private static Dictionary<string, int> ReadMap(JsonElement root, string name) =>
        root.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object
            ? map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal)
            : [];

    private static int[] ReadInts(JsonElement root, string name) =>
        root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? [.. list.EnumerateArray().Select(v => v.GetInt32())] : [];

    private static int ReadFirstInt(JsonElement value) => value.ValueKind == JsonValueKind.Array ? value[0].GetInt32() : value.GetInt32();
}

/// <summary>One of <see cref="WhisperConfig.AlignmentHeads"/>: a decoder layer and a head in it.</summary>
public readonly record struct AlignmentHead(int Layer, int Head);
