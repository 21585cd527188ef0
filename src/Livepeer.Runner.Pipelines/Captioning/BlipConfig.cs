using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>
/// What BlipForConditionalGeneration.generate reads from the model's files (MODEL-FORMATS §5): bos <c>[DEC]</c> and
/// the stop token <c>sep_token_id</c> from <c>text_config</c> (generate passes <c>eos_token_id=sep_token_id</c>), the
/// length limit from <c>generation_config.json</c> (<c>max_new_tokens</c>, else <c>max_length</c>), else from
/// <c>text_config</c>, else transformers' default of 20 tokens in all. BlipTextConfig's defaults fill the gaps.
/// </summary>
public sealed record BlipConfig
{
    public const int DefaultMaxLength = 20;

    public int BosTokenId { get; init; } = 30522;
    public int SepTokenId { get; init; } = 102;
    public int PadTokenId { get; init; }

    /// <summary>Tokens in all, the <c>[DEC]</c> and the prompt included.</summary>
    public int MaxLength { get; init; } = DefaultMaxLength;

    /// <summary>When set, the limit counts generated tokens only and <see cref="MaxLength"/> is ignored.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>The text decoder's position table: a prompt cannot be longer.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary>
    /// True when <c>config.json</c> names a BLIP captioner: <c>model_type</c> <c>blip</c>, and, where it lists
    /// <c>architectures</c>, BlipForConditionalGeneration among them (BLIP's VQA and retrieval heads decode otherwise).
    /// </summary>
    public static bool IsBlipCaptioner(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("model_type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "blip")
            return false;
        return !config.TryGetProperty("architectures", out var architectures) || architectures.ValueKind != JsonValueKind.Array
            || architectures.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == "BlipForConditionalGeneration");
    }

    public static BlipConfig From(JsonElement config, JsonElement? generation)
    {
        var text = config.TryGetProperty("text_config", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
        var defaults = new BlipConfig();
        int? textInt(string name) => text.ValueKind == JsonValueKind.Object ? IntOf(text, name) : null;
        int? generationInt(string name) => generation is { ValueKind: JsonValueKind.Object } g ? IntOf(g, name) : null;
        return new BlipConfig
        {
            BosTokenId = textInt("bos_token_id") ?? defaults.BosTokenId,
            SepTokenId = textInt("sep_token_id") ?? defaults.SepTokenId,
            PadTokenId = textInt("pad_token_id") ?? defaults.PadTokenId,
            MaxLength = generationInt("max_length") ?? textInt("max_length") ?? DefaultMaxLength,
            MaxNewTokens = generationInt("max_new_tokens"),
            MaxPositionEmbeddings = textInt("max_position_embeddings") ?? defaults.MaxPositionEmbeddings,
        };
    }

    /// <summary>How many tokens to generate after a prompt of <paramref name="promptLength"/> (at least one, as generate does).</summary>
    public int NewTokensAfter(int promptLength) => Math.Max(1, MaxNewTokens ?? (MaxLength - promptLength));

    private static int? IntOf(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
