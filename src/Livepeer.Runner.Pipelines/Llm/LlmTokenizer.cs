using System.Text.Json;
using System.Text.RegularExpressions;
using Livepeer.Runner.Core.Errors;
using Microsoft.ML.Tokenizers;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>
/// A decoder model's tokenizer, from the model's own files: SentencePiece (<c>tokenizer.model</c>), byte-level BPE
/// from <c>tokenizer.json</c> (Llama-3, Qwen), or SentencePiece-style BPE from <c>tokenizer.json</c> alone (Llama-2,
/// Mistral, Gemma and the stories models as onnx-community ships them).
/// Special-token text in a rendered chat template (<c>&lt;|begin_of_text|&gt;</c>) encodes to its special id, as
/// Hugging Face tokenizers do. Whether a plain prompt starts with BOS follows the model's tokenizer config.
/// </summary>
public sealed class LlmTokenizer
{
    /// <summary>GPT-2's split pattern: the fallback when tokenizer.json names no Split regex.</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Func<string, IEnumerable<int>> _encode;
    private readonly Func<IEnumerable<int>, string> _decode;

    private LlmTokenizer(Tokenizer tokenizer, int? bosId, bool addBos, IReadOnlyDictionary<string, int> specialTokens)
        : this(text => tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true), ids => tokenizer.Decode(ids) ?? "", bosId, addBos, specialTokens)
    {
    }

    private LlmTokenizer(Func<string, IEnumerable<int>> encode, Func<IEnumerable<int>, string> decode, int? bosId, bool addBos, IReadOnlyDictionary<string, int> specialTokens)
    {
        _encode = encode;
        _decode = decode;
        BosId = bosId;
        AddsBos = addBos && bosId is not null;
        SpecialTokens = specialTokens;
    }

    public int? BosId { get; }

    /// <summary>Whether a plain-text prompt starts with BOS (a chat template writes BOS itself).</summary>
    public bool AddsBos { get; }

    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    public static LlmTokenizer FromModelFolder(string modelId, string folder)
    {
        var config = ModelFolderJson.Read(Path.Combine(folder, "tokenizer_config.json"));
        var tokenizerJson = ModelFolderJson.Read(Path.Combine(folder, "tokenizer.json"));
        var specials = SpecialTokensOf(tokenizerJson, config);
        var bosText = ModelFolderJson.TokenText(config, "bos_token");
        var bosId = bosText is not null && specials.TryGetValue(bosText, out var id) ? id : (int?)null;

        var sentencePiece = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(sentencePiece))
        {
            using var stream = File.OpenRead(sentencePiece);
            var addBos = config?.TryGetProperty("add_bos_token", out var add) == true ? add.ValueKind == JsonValueKind.True : true;
            return new LlmTokenizer(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false, specials), bosId ?? 1, addBos, specials);
        }

        if (tokenizerJson is { } json && IsByteLevelBpe(json))
        {
            var model = json.GetProperty("model");
            var vocab = model.GetProperty("vocab").EnumerateObject().Select(p => new KeyValuePair<string, int>(p.Name, p.Value.GetInt32()));
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!)
                .ToList();
            var options = new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = specials,
                PreTokenizer = new RegexPreTokenizer(new Regex(SplitPattern(json) ?? Gpt2Pattern, RegexOptions.Compiled), specials),
            };
            var addBos = AddsBosByTemplate(json, bosText) || config?.TryGetProperty("add_bos_token", out var add) == true && add.ValueKind == JsonValueKind.True;
            return new LlmTokenizer(BpeTokenizer.Create(options), bosId, addBos, specials);
        }

        if (tokenizerJson is { } sentencePieceJson && SentencePieceBpe.Describes(sentencePieceJson))
        {
            var bpe = SentencePieceBpe.FromTokenizerJson(modelId, sentencePieceJson);
            var addBos = AddsBosByTemplate(sentencePieceJson, bosText) || config?.TryGetProperty("add_bos_token", out var add) == true && add.ValueKind == JsonValueKind.True;
            return new LlmTokenizer(bpe.Encode, bpe.Decode, bosId, addBos, specials);
        }

        throw new ModelLoadException(modelId,
            $"Model {modelId} has no tokenizer this runner reads: expected tokenizer.model (SentencePiece), or a byte-level or SentencePiece-style BPE tokenizer.json.");
    }

    public List<int> Encode(string text, bool addBos)
    {
        var ids = new List<int>();
        if (addBos && BosId is { } bos)
            ids.Add(bos);
        ids.AddRange(_encode(text));
        return ids;
    }

    public string Decode(IEnumerable<int> ids) => _decode(ids);


    private static Dictionary<string, int> SpecialTokensOf(JsonElement? tokenizerJson, JsonElement? config)
    {
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (tokenizerJson?.TryGetProperty("added_tokens", out var added) == true)
        {
            foreach (var token in added.EnumerateArray())
                specials[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();
        }

        if (config?.TryGetProperty("added_tokens_decoder", out var decoder) == true)
        {
            foreach (var token in decoder.EnumerateObject())
                specials[token.Value.GetProperty("content").GetString()!] = int.Parse(token.Name, System.Globalization.CultureInfo.InvariantCulture);
        }

        return specials;
    }

    private static bool IsByteLevelBpe(JsonElement json) =>
        json.TryGetProperty("model", out var model)
        && model.TryGetProperty("type", out var type) && type.GetString() == "BPE"
        && json.TryGetProperty("pre_tokenizer", out var pre) && pre.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal);

    private static string? SplitPattern(JsonElement json)
    {
        var pre = json.GetProperty("pre_tokenizer");
        var steps = pre.TryGetProperty("pretokenizers", out var list) ? list.EnumerateArray().ToList() : [pre];
        return steps
            .Where(s => s.TryGetProperty("type", out var t) && t.GetString() == "Split" && s.TryGetProperty("pattern", out _))
            .Select(s => s.GetProperty("pattern").TryGetProperty("Regex", out var regex) ? regex.GetString() : null)
            .FirstOrDefault(p => p is not null);
    }

    /// <summary>Llama-3's tokenizer adds BOS through its post-processor's TemplateProcessing, not a config flag.</summary>
    private static bool AddsBosByTemplate(JsonElement json, string? bosText) =>
        bosText is not null && json.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object
        && post.GetRawText().Contains("\"TemplateProcessing\"", StringComparison.Ordinal)
        && post.GetRawText().Contains($"\"{bosText}\"", StringComparison.Ordinal);
}
