using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>
/// BERT's WordPiece tokenizer as transformers' BertTokenizer(Fast) runs it: added tokens split out of the raw text;
/// the rest cleaned (controls dropped, whitespace to spaces), CJK ideographs spaced, accents stripped and lower-cased
/// (BertNormalizer; accents follow <c>strip_accents</c>, which defaults to the lower-casing), split on whitespace
/// and every punctuation character (BertPreTokenizer), then greedy longest-match WordPiece with <c>##</c>
/// continuations, a word that cannot be covered becoming <c>[UNK]</c>. Decoding skips special tokens, joins
/// continuations and applies transformers' clean-up of spaces before punctuation and contractions.
/// Microsoft.ML.Tokenizers 2.0.1's BertTokenizer agrees on plain text but drops ASCII symbols such as <c>$</c> and
/// <c>~</c> and glues words around tabs and newlines, so this one is written out.
/// </summary>
public sealed class BertWordPieceTokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _tokens;
    private readonly HashSet<int> _special;
    private readonly (string Text, int Id)[] _added; // longest first, so "[DEC]" wins over any shorter prefix
    private readonly int _unkId;
    private readonly string _prefix;
    private readonly int _maxCharsPerWord;
    private readonly bool _lowercase;
    private readonly bool _stripAccents;
    private readonly bool _chineseChars;
    private readonly bool _cleanText;
    private readonly bool _cleanUpSpaces;

    private BertWordPieceTokenizer(Dictionary<string, int> vocab, IReadOnlyList<(string Text, int Id, bool Special)> added, Settings settings)
    {
        _vocab = vocab;
        var size = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, added.Count == 0 ? 0 : added.Max(a => a.Id) + 1);
        _tokens = new string?[size];
        foreach (var (token, id) in vocab)
            _tokens[id] = token;
        foreach (var (text, id, _) in added)
            _tokens[id] = text;
        _special = [.. added.Where(a => a.Special).Select(a => a.Id)];
        _added = [.. added.OrderByDescending(a => a.Text.Length).Select(a => (a.Text, a.Id))];
        _unkId = vocab.TryGetValue(settings.UnkToken, out var unk) ? unk
            : throw new InvalidDataException($"The unknown token '{settings.UnkToken}' is not in the vocabulary.");
        _prefix = settings.Prefix;
        _maxCharsPerWord = settings.MaxCharsPerWord;
        _lowercase = settings.Lowercase;
        _stripAccents = settings.StripAccents ?? settings.Lowercase;
        _chineseChars = settings.ChineseChars;
        _cleanText = settings.CleanText;
        _cleanUpSpaces = settings.CleanUpSpaces;
        ClsId = TokenToId(settings.ClsToken);
        SepId = TokenToId(settings.SepToken);
    }

    public int? ClsId { get; }
    public int? SepId { get; }

    /// <summary>
    /// The tokenizer of a model folder: <c>tokenizer.json</c> when it has one, else <c>vocab.txt</c> with the
    /// settings of <c>tokenizer_config.json</c> (BertTokenizer's defaults where absent).
    /// </summary>
    public static BertWordPieceTokenizer Load(string folder)
    {
        var config = ModelFolderJson.Read(Path.Combine(folder, "tokenizer_config.json"));
        var json = Path.Combine(folder, "tokenizer.json");
        return File.Exists(json) ? FromTokenizerJson(json, config) : FromVocabFile(Path.Combine(folder, "vocab.txt"), config);
    }

    /// <summary>A <c>vocab.txt</c> (one token a line, the line number its id) with an optional <c>tokenizer_config.json</c>.</summary>
    public static BertWordPieceTokenizer FromVocabFile(string path, JsonElement? tokenizerConfig = null)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var id = 0;
        foreach (var line in File.ReadLines(path))
            vocab.TryAdd(line.TrimEnd('\r'), id++);

        var settings = Settings.From(tokenizerConfig);
        var added = new List<(string, int, bool)>();
        if (tokenizerConfig is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in decoder.EnumerateObject())
                added.Add((entry.Value.GetProperty("content").GetString()!, int.Parse(entry.Name, CultureInfo.InvariantCulture), entry.Value.TryGetProperty("special", out var s) && s.GetBoolean()));
        }
        else
        {
            // transformers' BertTokenizer never splits its special tokens; they are the vocabulary's own.
            foreach (var token in new[] { settings.PadToken, settings.UnkToken, settings.ClsToken, settings.SepToken, settings.MaskToken })
            {
                if (vocab.TryGetValue(token, out var special))
                    added.Add((token, special, true));
            }
        }

        return new BertWordPieceTokenizer(vocab, added, settings);
    }

    private static BertWordPieceTokenizer FromTokenizerJson(string path, JsonElement? tokenizerConfig)
    {
        var root = ModelFolderJson.Read(path)!.Value;
        var model = root.GetProperty("model");
        if (model.TryGetProperty("type", out var type) && type.GetString() != "WordPiece")
            throw new InvalidDataException($"{path} is a {type.GetString()} tokenizer, not WordPiece.");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var added = root.TryGetProperty("added_tokens", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(t => (t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32(), t.TryGetProperty("special", out var s) && s.GetBoolean())).ToList()
            : [];

        var settings = Settings.From(tokenizerConfig);
        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object)
        {
            if (normalizer.GetProperty("type").GetString() != "BertNormalizer")
                throw new InvalidDataException($"{path} has a {normalizer.GetProperty("type").GetString()} normalizer, not BertNormalizer.");
            settings = settings with
            {
                Lowercase = Flag(normalizer, "lowercase") ?? true,
                StripAccents = Flag(normalizer, "strip_accents"),
                ChineseChars = Flag(normalizer, "handle_chinese_chars") ?? true,
                CleanText = Flag(normalizer, "clean_text") ?? true,
            };
        }
        else
            settings = settings with { Lowercase = false, StripAccents = false, ChineseChars = false, CleanText = false };

        settings = settings with
        {
            UnkToken = model.TryGetProperty("unk_token", out var unk) ? unk.GetString()! : settings.UnkToken,
            Prefix = model.TryGetProperty("continuing_subword_prefix", out var prefix) && prefix.ValueKind == JsonValueKind.String ? prefix.GetString()! : "##",
            MaxCharsPerWord = model.TryGetProperty("max_input_chars_per_word", out var max) && max.TryGetInt32(out var m) ? m : 100,
        };
        return new BertWordPieceTokenizer(vocab, added, settings);
    }

    public int? TokenToId(string token)
    {
        foreach (var (text, id) in _added)
        {
            if (text == token)
                return id;
        }

        return _vocab.TryGetValue(token, out var found) ? found : null;
    }

    /// <summary>The ids of <paramref name="text"/>; with special tokens, <c>[CLS] … [SEP]</c> as the post-processor adds them.</summary>
    public List<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>();
        if (addSpecialTokens && ClsId is { } cls)
            ids.Add(cls);
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            foreach (var (added, id) in _added)
            {
                if (string.CompareOrdinal(text, i, added, 0, added.Length) != 0)
                    continue;
                EncodeSegment(text.AsSpan(start, i - start), ids);
                ids.Add(id);
                start = i + added.Length;
                i = start - 1;
                break;
            }
        }

        EncodeSegment(text.AsSpan(start), ids);
        if (addSpecialTokens && SepId is { } sep)
            ids.Add(sep);
        return ids;
    }

    /// <summary>Text of <paramref name="ids"/>: special tokens (and ids with no token) skipped, <c>##</c> pieces joined.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length || _tokens[id] is not { } token || (skipSpecialTokens && _special.Contains(id)))
                continue;
            if (text.Length > 0 && token.StartsWith(_prefix, StringComparison.Ordinal))
                text.Append(token.AsSpan(_prefix.Length));
            else
            {
                if (text.Length > 0)
                    text.Append(' ');
                text.Append(token);
            }
        }

        return _cleanUpSpaces ? CleanUpSpaces(text.ToString()) : text.ToString();
    }

    /// <summary>transformers' <c>clean_up_tokenization</c>.</summary>
    internal static string CleanUpSpaces(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);

    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> ids)
    {
        if (segment.IsEmpty)
            return;
        foreach (var word in BertText.Words(BertText.Normalize(segment, _cleanText, _chineseChars, _stripAccents, _lowercase)))
            WordPiece(word, ids);
    }

    private void WordPiece(string word, List<int> ids)
    {
        var runes = word.EnumerateRunes().Count();
        if (runes > _maxCharsPerWord)
        {
            ids.Add(_unkId);
            return;
        }

        var first = ids.Count;
        var start = 0;
        while (start < word.Length)
        {
            var end = word.Length;
            int? piece = null;
            while (end > start)
            {
                var candidate = start == 0 ? word[start..end] : _prefix + word[start..end];
                if (_vocab.TryGetValue(candidate, out var id))
                {
                    piece = id;
                    break;
                }

                end--;
                if (end > start && char.IsLowSurrogate(word[end]))
                    end--; // never cut a surrogate pair
            }

            if (piece is not { } found)
            {
                ids.RemoveRange(first, ids.Count - first);
                ids.Add(_unkId);
                return;
            }

            ids.Add(found);
            start = end;
        }
    }

    private static bool? Flag(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private sealed record Settings(
        bool Lowercase,
        bool? StripAccents,
        bool ChineseChars,
        bool CleanText,
        bool CleanUpSpaces,
        string UnkToken,
        string ClsToken,
        string SepToken,
        string PadToken,
        string MaskToken,
        string Prefix = "##",
        int MaxCharsPerWord = 100)
    {
        public static Settings From(JsonElement? config)
        {
            var c = config is { ValueKind: JsonValueKind.Object } o ? o : default;
            bool? Bool(string name) => c.ValueKind == JsonValueKind.Object ? Flag(c, name) : null;
            return new Settings(
                Lowercase: Bool("do_lower_case") ?? true,
                StripAccents: Bool("strip_accents"),
                ChineseChars: Bool("tokenize_chinese_chars") ?? true,
                CleanText: true,
                CleanUpSpaces: Bool("clean_up_tokenization_spaces") ?? true,
                UnkToken: ModelFolderJson.TokenText(config, "unk_token") ?? "[UNK]",
                ClsToken: ModelFolderJson.TokenText(config, "cls_token") ?? "[CLS]",
                SepToken: ModelFolderJson.TokenText(config, "sep_token") ?? "[SEP]",
                PadToken: ModelFolderJson.TokenText(config, "pad_token") ?? "[PAD]",
                MaskToken: ModelFolderJson.TokenText(config, "mask_token") ?? "[MASK]");
        }
    }
}
