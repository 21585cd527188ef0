using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Speech.Parler;

/// <summary>
/// What ParlerTTSForConditionalGeneration.generate reads from a model's <c>config.json</c> and
/// <c>generation_config.json</c> (MODEL-FORMATS §7.1): the codebooks and their special ids, the codec's rate, and the
/// sampling settings. Sampling follows transformers' GenerationConfig defaults where the file is silent
/// (temperature 1, top-k 50, top-p 1); <c>max_length</c> counts the bos column, so a run makes at most
/// <c>max_length − 1</c> steps and <c>max_length − num_codebooks</c> frames.
/// </summary>
public sealed record ParlerConfig
{
    /// <summary>No request samples longer than this many steps, whatever the files say (60 s of DAC frames at 86 a second).</summary>
    public const int MaxLengthCap = 60 * 86;

    public int NumCodebooks { get; init; } = 9;
    public int CodebookSize { get; init; } = 1024;
    public int BosTokenId { get; init; } = 1025;
    public int PadTokenId { get; init; } = 1024;
    public int EosTokenId { get; init; } = 1024;
    public int SampleRate { get; init; } = 44_100;

    /// <summary>Samples the codec writes per frame (DAC 44.1 kHz: 512).</summary>
    public int HopLength { get; init; } = 512;

    /// <summary>Columns in all, the bos column included, bounded by <see cref="MaxLengthCap"/>.</summary>
    public int MaxLength { get; init; } = 2580;

    /// <summary>Steps before which no codebook may end.</summary>
    public int MinNewTokens { get; init; }

    public bool DoSample { get; init; } = true;
    public double Temperature { get; init; } = 1.0;
    public int TopK { get; init; } = 50;
    public double TopP { get; init; } = 1.0;

    /// <summary>The decoder's hidden width and layer count, for sizing the cache.</summary>
    public int HiddenSize { get; init; } = 1024;

    public int Layers { get; init; } = 24;

    /// <summary>True when <c>config.json</c> says <c>model_type</c> <c>parler_tts</c>.</summary>
    public static bool IsParler(JsonElement config) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty("model_type", out var type)
        && type.ValueKind == JsonValueKind.String && type.GetString() == "parler_tts";

    public static ParlerConfig From(JsonElement config, JsonElement? generation)
    {
        var decoder = Section(config, "decoder");
        var codec = Section(config, "audio_encoder");
        var gen = generation is { ValueKind: JsonValueKind.Object } g ? g : default;
        var defaults = new ParlerConfig();
        int? genInt(string name) => Int(gen, name);
        var doSample = gen.ValueKind == JsonValueKind.Object && gen.TryGetProperty("do_sample", out var sample)
            ? sample.ValueKind == JsonValueKind.True
            : false; // transformers' default when the file does not say
        return new ParlerConfig
        {
            NumCodebooks = Int(decoder, "num_codebooks") ?? Int(codec, "num_codebooks") ?? defaults.NumCodebooks,
            CodebookSize = Int(codec, "codebook_size") ?? defaults.CodebookSize,
            BosTokenId = genInt("bos_token_id") ?? Int(decoder, "bos_token_id") ?? Int(config, "decoder_start_token_id") ?? defaults.BosTokenId,
            PadTokenId = genInt("pad_token_id") ?? Int(decoder, "pad_token_id") ?? Int(config, "pad_token_id") ?? defaults.PadTokenId,
            EosTokenId = genInt("eos_token_id") ?? Int(decoder, "eos_token_id") ?? defaults.EosTokenId,
            SampleRate = Int(codec, "sampling_rate") ?? defaults.SampleRate,
            HopLength = Int(codec, "hop_length") ?? defaults.HopLength,
            MaxLength = Math.Min(MaxLengthCap, genInt("max_length") ?? Int(decoder, "max_length") ?? defaults.MaxLength),
            MinNewTokens = genInt("min_new_tokens") ?? 0,
            DoSample = doSample,
            Temperature = Double(gen, "temperature") ?? defaults.Temperature,
            TopK = genInt("top_k") ?? defaults.TopK,
            TopP = Double(gen, "top_p") ?? defaults.TopP,
            HiddenSize = Int(decoder, "hidden_size") ?? defaults.HiddenSize,
            Layers = Int(decoder, "num_hidden_layers") ?? defaults.Layers,
        };
    }

    /// <summary>The sampling temperature as <see cref="Llm.TokenSampler"/> takes it: 0 for greedy.</summary>
    public double SamplingTemperature => DoSample ? Temperature : 0;

    private static JsonElement Section(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var section) && section.ValueKind == JsonValueKind.Object ? section : default;

    private static int? Int(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static double? Double(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
