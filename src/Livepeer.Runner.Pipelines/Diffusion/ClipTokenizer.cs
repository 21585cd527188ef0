using System.Text.Json;
using System.Text.RegularExpressions;
using Livepeer.Runner.Core.Errors;
using Microsoft.ML.Tokenizers;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// A CLIP tokenizer read from a diffusers <c>tokenizer/</c> folder (vocab.json + merges.txt, the slow CLIPTokenizer's
/// files), built as shared/assets MANIFEST G-CLIP records. Special-token ids and the pad token come from the folder's
/// own files: SDXL's <c>tokenizer_2</c> pads with "!" (id 0) where the first tokenizer pads with its eos.
/// </summary>
public sealed class ClipTokenizer
{
    private const string DefaultBos = "<|startoftext|>";
    private const string DefaultEos = "<|endoftext|>";

    private readonly BpeTokenizer _bpe;

    private ClipTokenizer(BpeTokenizer bpe, int bos, int eos, int pad, int maxLength)
    {
        _bpe = bpe;
        BosId = bos;
        EosId = eos;
        PadId = pad;
        MaxLength = maxLength;
    }

    public int BosId { get; }

    public int EosId { get; }

    public int PadId { get; }

    /// <summary>The fixed sequence length every prompt is padded or truncated to (model_max_length, 77).</summary>
    public int MaxLength { get; }

    public static ClipTokenizer Load(string modelId, string folder)
    {
        var vocabPath = Path.Combine(folder, "vocab.json");
        var mergesPath = Path.Combine(folder, "merges.txt");
        if (!File.Exists(vocabPath) || !File.Exists(mergesPath))
            throw new ModelLoadException(modelId, $"The CLIP tokenizer of {modelId} needs vocab.json and merges.txt in '{folder}'.");

        var config = ModelFolderJson.Read(Path.Combine(folder, "tokenizer_config.json"));
        var map = ModelFolderJson.Read(Path.Combine(folder, "special_tokens_map.json"));
        Dictionary<string, int> vocab;
        using (var stream = File.OpenRead(vocabPath))
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(stream) ?? [];

        // tokenizer_config.json wins over special_tokens_map.json.
        var bosText = TokenOf(config, map, "bos_token") ?? DefaultBos;
        var eosText = TokenOf(config, map, "eos_token") ?? DefaultEos;
        var padText = TokenOf(config, map, "pad_token") ?? eosText;
        int Id(string text) => vocab.TryGetValue(text, out var id) ? id
            : throw new ModelLoadException(modelId, $"The tokenizer in '{folder}' of {modelId} has no id for its special token '{text}'.");

        var specials = new Dictionary<string, int> { [bosText] = Id(bosText), [eosText] = Id(eosText) };
        var pattern = $@"{Regex.Escape(bosText)}|{Regex.Escape(eosText)}|'s|'t|'re|'ve|'m|'ll|'d|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+";
        var options = new BpeOptions(vocabPath, mergesPath)
        {
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.Compiled), specials),
            Normalizer = new LowerCaseNormalizer(),
            EndOfWordSuffix = "</w>",
            ByteLevel = true,
            UnknownToken = eosText,
            BeginningOfSentenceToken = bosText,
            EndOfSentenceToken = eosText,
            SpecialTokens = specials,
        };
        var maxLength = config is { } c && c.TryGetProperty("model_max_length", out var max) && max.TryGetInt32(out var m) && m is > 2 and <= 4096 ? m : 77;
        return new ClipTokenizer(BpeTokenizer.Create(options), specials[bosText], specials[eosText], Id(padText), maxLength);
    }

    /// <summary><c>[bos] tokens… [eos] pad…</c>, truncated and padded to <see cref="MaxLength"/>, as the pipelines call it.</summary>
    public int[] Encode(string text)
    {
        var ids = new int[MaxLength];
        Array.Fill(ids, PadId);
        var tokens = _bpe.EncodeToIds(CollapseWhitespace(text), considerPreTokenization: true, considerNormalization: true);
        var start = tokens.Count > 0 && tokens[0] == BosId ? 1 : 0;
        var end = tokens.Count > start && tokens[^1] == EosId ? tokens.Count - 1 : tokens.Count;
        var count = Math.Min(end - start, MaxLength - 2);
        ids[0] = BosId;
        for (var i = 0; i < count; i++)
            ids[i + 1] = tokens[start + i];
        ids[count + 1] = EosId;
        return ids;
    }

    private static string CollapseWhitespace(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    private static string? TokenOf(JsonElement? config, JsonElement? map, string name) =>
        ModelFolderJson.TokenText(config, name) ?? ModelFolderJson.TokenText(map, name);
}
