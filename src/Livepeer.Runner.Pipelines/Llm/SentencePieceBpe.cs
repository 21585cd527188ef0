using System.Globalization;
using System.Text;
using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>
/// SentencePiece-style BPE read from a Hugging Face <c>tokenizer.json</c> (Llama-2, Mistral and the stories models
/// when they ship no <c>tokenizer.model</c>): the normalizer marks spaces with ▁ (Prepend + Replace, or a Metaspace
/// pre-tokenizer), merges apply by rank over characters, and a piece missing from the vocabulary falls back to its
/// UTF-8 bytes (<c>&lt;0xNN&gt;</c>). Added tokens are matched in the raw text first, as the Hugging Face
/// tokenizers do. Microsoft.ML.Tokenizers reads this format only from a SentencePiece model file.
/// </summary>
internal sealed class SentencePieceBpe
{
    private const char Space = '\u2581';

    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly string[] _pieces;
    private readonly (string Text, int Id)[] _added;
    private readonly HashSet<int> _addedIds;
    private readonly int? _unknownId;
    private readonly bool _prependSpace;
    private readonly bool _stripLeadingSpace;

    private SentencePieceBpe(Dictionary<string, int> vocabulary, Dictionary<(string, string), int> ranks, (string, int)[] added, int? unknownId, bool prependSpace, bool stripLeadingSpace)
    {
        _vocabulary = vocabulary;
        _ranks = ranks;
        _added = [.. added.OrderByDescending(a => a.Item1.Length)];
        _addedIds = [.. added.Select(a => a.Item2)];
        _unknownId = unknownId;
        _prependSpace = prependSpace;
        _stripLeadingSpace = stripLeadingSpace;
        _pieces = new string[vocabulary.Values.DefaultIfEmpty(-1).Max() + 1];
        foreach (var (piece, id) in vocabulary)
            _pieces[id] = piece;
        foreach (var (text, id) in added)
        {
            if (id < _pieces.Length)
                _pieces[id] ??= text;
        }
    }

    /// <summary>Whether a tokenizer.json is SentencePiece-style BPE: byte fallback, no byte-level pre-tokenizer.</summary>
    public static bool Describes(JsonElement json) =>
        json.TryGetProperty("model", out var model) && model.TryGetProperty("type", out var type) && type.GetString() == "BPE"
        && model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True
        && !(json.TryGetProperty("pre_tokenizer", out var pre) && pre.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal));

    public static SentencePieceBpe FromTokenizerJson(string modelId, JsonElement json)
    {
        var model = json.GetProperty("model");
        var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var ranks = new Dictionary<(string, string), int>();
        var rank = 0;
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            var (left, right) = merge.ValueKind == JsonValueKind.Array
                ? (merge[0].GetString()!, merge[1].GetString()!)
                : Split(merge.GetString()!);
            ranks.TryAdd((left, right), rank++);
        }

        var added = json.TryGetProperty("added_tokens", out var list)
            ? list.EnumerateArray().Select(t => (t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32())).ToArray()
            : [];
        var unknown = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String && vocabulary.TryGetValue(unk.GetString()!, out var unkId)
            ? unkId
            : (int?)null;
        var marksSpaces = json.GetRawText().Contains("\"Prepend\"", StringComparison.Ordinal) || json.GetRawText().Contains("\"Metaspace\"", StringComparison.Ordinal);
        if (!marksSpaces)
            throw new ModelLoadException(modelId, $"{modelId}: a SentencePiece tokenizer.json without a Prepend or Metaspace step is not supported.");
        var strip = json.TryGetProperty("decoder", out var decoder) && decoder.GetRawText().Contains("\"Strip\"", StringComparison.Ordinal);
        return new SentencePieceBpe(vocabulary, ranks, added, unknown, prependSpace: true, strip);
    }

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        var start = 0;
        while (start < text.Length)
        {
            var (at, token) = NextAdded(text, start);
            EncodeSegment(text[start..at], ids);
            if (token is not { } found)
                break;
            ids.Add(found.Id);
            start = at + found.Text.Length;
        }

        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (_addedIds.Contains(id) || id < 0 || id >= _pieces.Length || _pieces[id] is not { } piece)
                continue;
            if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>')
                && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
                bytes.Add(value);
            else
                bytes.AddRange(Encoding.UTF8.GetBytes(piece.Replace(Space, ' ')));
        }

        var text = Encoding.UTF8.GetString([.. bytes]);
        return _stripLeadingSpace && text.StartsWith(' ') ? text[1..] : text;
    }

    private (int At, (string Text, int Id)? Token) NextAdded(string text, int from)
    {
        for (var i = from; i < text.Length; i++)
        {
            foreach (var token in _added)
            {
                if (string.CompareOrdinal(text, i, token.Text, 0, token.Text.Length) == 0)
                    return (i, token);
            }
        }

        return (text.Length, null);
    }

    private void EncodeSegment(string segment, List<int> ids)
    {
        if (segment.Length == 0)
            return;
        var normalized = (_prependSpace ? Space + segment : segment).Replace(' ', Space);
        var symbols = new List<string>();
        var elements = StringInfo.GetTextElementEnumerator(normalized);
        while (elements.MoveNext())
            symbols.Add((string)elements.Current);

        // Merge the adjacent pair of lowest rank until none applies: the BPE rule.
        while (symbols.Count > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                    (best, bestRank) = (i, rank);
            }

            if (best < 0)
                break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }

        foreach (var symbol in symbols)
        {
            if (_vocabulary.TryGetValue(symbol, out var id))
            {
                ids.Add(id);
                continue;
            }

            foreach (var b in Encoding.UTF8.GetBytes(symbol))
            {
                if (_vocabulary.TryGetValue($"<0x{b:X2}>", out var byteId))
                    ids.Add(byteId);
                else if (_unknownId is { } unknown)
                    ids.Add(unknown);
            }
        }
    }

    private static (string, string) Split(string merge)
    {
        var space = merge.IndexOf(' ', 1);
        return (merge[..space], merge[(space + 1)..]);
    }
}
