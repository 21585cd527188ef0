using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Livepeer.Runner.Pipelines.Text;

/// <summary>
/// A SentencePiece Unigram tokenizer read from a Hugging Face <c>tokenizer.json</c> (T5's, as Parler-TTS ships it),
/// which Microsoft.ML.Tokenizers reads only from a <c>spiece.model</c>. The model is recognised by its vocabulary of
/// <c>[piece, score]</c> pairs (older files have no <c>"type": "Unigram"</c>). Encoding as the tokenizers library does:
/// added tokens are cut out of the raw text first; the rest is normalized (<c>Precompiled</c> charsmap, <c>Replace</c>,
/// or a <c>Sequence</c> of them), split at whitespace, each word prefixed with ▁ (Metaspace), and cut into the pieces
/// of highest total score (Viterbi); a character no piece covers is <c>unk</c>, consecutive ones fused. The
/// post-processor's template appends its special tokens (T5: <c>&lt;/s&gt;</c>).
/// </summary>
internal sealed class UnigramTokenizer
{
    private const char Space = '\u2581';
    private const double UnknownPenalty = 10.0;

    private readonly Dictionary<string, (int Id, double Score)> _pieces;
    private readonly Dictionary<string, (int Id, double Score)>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _maxPieceLength;
    private readonly int _unknownId;
    private readonly double _unknownScore;
    private readonly (string Text, int Id)[] _added;
    private readonly Func<string, string> _normalize;
    private readonly int[] _appended;

    private UnigramTokenizer(Dictionary<string, (int, double)> pieces, int unknownId, (string, int)[] added, Func<string, string> normalize, int[] appended)
    {
        _pieces = pieces;
        _lookup = pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _maxPieceLength = pieces.Keys.Max(p => p.Length);
        _unknownId = unknownId;
        _unknownScore = pieces.Values.Min(p => p.Item2) - UnknownPenalty;
        _added = [.. added.OrderByDescending(a => a.Item1.Length)];
        _normalize = normalize;
        _appended = appended;
    }

    /// <exception cref="InvalidDataException">The file is not a Unigram tokenizer this reader understands.</exception>
    public static UnigramTokenizer Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Array
            || (model.TryGetProperty("type", out var type) && type.GetString() != "Unigram"))
        {
            throw new InvalidDataException($"{path} is not a Unigram tokenizer (its model needs a vocab of [piece, score] pairs).");
        }

        var pieces = new Dictionary<string, (int, double)>(StringComparer.Ordinal);
        var id = 0;
        foreach (var entry in vocab.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String || entry[1].ValueKind != JsonValueKind.Number)
                throw new InvalidDataException($"{path}: vocab entry {id} is not a [piece, score] pair.");
            pieces.TryAdd(entry[0].GetString()!, (id++, entry[1].GetDouble()));
        }

        if (pieces.Count == 0)
            throw new InvalidDataException($"{path} has an empty vocabulary.");
        var unknownId = model.TryGetProperty("unk_id", out var unk) && unk.ValueKind == JsonValueKind.Number ? unk.GetInt32() : 0;

        var added = root.TryGetProperty("added_tokens", out var tokens) && tokens.ValueKind == JsonValueKind.Array
            ? tokens.EnumerateArray().Select(t => (t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32())).Where(t => t.Item1.Length > 0).ToArray()
            : [];
        var normalize = root.TryGetProperty("normalizer", out var normalizer) ? Normalizer(normalizer, path) : (s => s);
        return new UnigramTokenizer(pieces, unknownId, added, normalize, Appended(root));
    }

    /// <summary>The ids of <paramref name="text"/>, the template's special tokens appended.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        var start = 0;
        while (start < text.Length)
        {
            var (at, token) = NextAdded(text, start);
            EncodePlain(text[start..at], ids);
            if (token is null)
                break;
            ids.Add(token.Value.Id);
            start = at + token.Value.Text.Length;
        }

        ids.AddRange(_appended);
        return ids;
    }

    /// <summary>
    /// The ids of <paramref name="text"/> as a fixed-length model input, as transformers' tokenizers give them with
    /// <c>padding="max_length", truncation=True</c>: the text's pieces cut so that the template's tokens still fit, then
    /// <paramref name="padId"/> up to <paramref name="length"/>.
    /// </summary>
    public int[] EncodePadded(string text, int length, int padId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, _appended.Length + 1);
        var ids = Encode(text);
        var kept = Math.Min(ids.Count - _appended.Length, length - _appended.Length);
        var padded = new int[length];
        Array.Fill(padded, padId);
        for (var i = 0; i < kept; i++)
            padded[i] = ids[i];
        _appended.CopyTo(padded, kept);
        return padded;
    }

    /// <summary>The id of an added token or vocabulary piece (e.g. <c>&lt;pad&gt;</c>), or null when there is none.</summary>
    public int? IdOf(string token)
    {
        foreach (var (text, id) in _added)
        {
            if (text == token)
                return id;
        }

        return _pieces.TryGetValue(token, out var piece) ? piece.Id : null;
    }

    private (int At, (string Text, int Id)? Token) NextAdded(string text, int start)
    {
        var best = (At: text.Length, Token: ((string Text, int Id)?)null);
        foreach (var token in _added)
        {
            var at = text.IndexOf(token.Text, start, StringComparison.Ordinal);
            if (at >= 0 && at < best.At)
                best = (at, token);
        }

        return best;
    }

    private void EncodePlain(string text, List<int> ids)
    {
        foreach (var word in _normalize(text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            Viterbi(Space + word, ids);
    }

    /// <summary>The best segmentation of one ▁-prefixed word, by total piece score.</summary>
    private void Viterbi(string word, List<int> ids)
    {
        var n = word.Length;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var piece = new int[n + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        for (var start = 0; start < n; start++)
        {
            if (double.IsNegativeInfinity(best[start]) || char.IsLowSurrogate(word[start]))
                continue;
            var single = char.IsHighSurrogate(word[start]) && start + 1 < n && char.IsLowSurrogate(word[start + 1]) ? 2 : 1;
            var hasSingle = false;
            for (var length = 1; length <= Math.Min(_maxPieceLength, n - start); length++)
            {
                if (!_lookup.TryGetValue(word.AsSpan(start, length), out var entry))
                    continue;
                hasSingle |= length == single;
                Relax(start, start + length, best[start] + entry.Score, entry.Id);
            }

            if (!hasSingle)
                Relax(start, start + single, best[start] + _unknownScore, _unknownId);
        }

        var path = new List<int>();
        for (var end = n; end > 0; end = from[end])
            path.Add(piece[end]);
        path.Reverse();
        foreach (var id in path)
        {
            if (id == _unknownId && ids.Count > 0 && ids[^1] == _unknownId)
                continue; // consecutive unknowns fuse into one
            ids.Add(id);
        }

        void Relax(int start, int end, double score, int id)
        {
            if (score > best[end])
            {
                best[end] = score;
                from[end] = start;
                piece[end] = id;
            }
        }
    }

    private static Func<string, string> Normalizer(JsonElement normalizer, string path)
    {
        if (normalizer.ValueKind == JsonValueKind.Null)
            return s => s;
        switch (normalizer.GetProperty("type").GetString())
        {
            case "Precompiled":
                var blob = normalizer.TryGetProperty("precompiled_charsmap", out var map) && map.ValueKind == JsonValueKind.String ? map.GetString()! : "";
                var charsMap = PrecompiledCharsMap.Parse(blob.Length == 0 ? new byte[4] : Convert.FromBase64String(blob));
                return charsMap.Normalize;
            case "Replace":
                var content = normalizer.GetProperty("content").GetString()!;
                var pattern = normalizer.GetProperty("pattern");
                if (pattern.TryGetProperty("Regex", out var regex))
                {
                    var compiled = new Regex(regex.GetString()!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    return s => compiled.Replace(s, content);
                }

                var literal = pattern.GetProperty("String").GetString()!;
                return s => s.Replace(literal, content, StringComparison.Ordinal);
            case "Sequence":
                var steps = normalizer.GetProperty("normalizers").EnumerateArray().Select(n => Normalizer(n, path)).ToArray();
                return s => steps.Aggregate(s, (text, step) => step(text));
            case var other:
                throw new InvalidDataException($"{path}: normalizer '{other}' is not supported for a Unigram tokenizer.");
        }
    }

    /// <summary>The ids the single-sequence template puts after the text (T5: <c>&lt;/s&gt;</c>); none without a template.</summary>
    private static int[] Appended(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object
            || post.GetProperty("type").GetString() != "TemplateProcessing")
        {
            return [];
        }

        var specials = post.GetProperty("special_tokens");
        var ids = new List<int>();
        var seenSequence = false;
        foreach (var item in post.GetProperty("single").EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _))
                seenSequence = true;
            else if (item.TryGetProperty("SpecialToken", out var special))
            {
                if (!seenSequence)
                    throw new InvalidDataException("A template that puts special tokens before the text is not supported for a Unigram tokenizer.");
                ids.AddRange(specials.GetProperty(special.GetProperty("id").GetString()!).GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
            }
        }

        return [.. ids];
    }
}
