using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Livepeer.Runner.Core.Errors;
using Microsoft.ML.Tokenizers;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Whisper's byte-level BPE read from the model's own <c>tokenizer.json</c>: the BPE vocabulary and merges go to
/// Microsoft.ML.Tokenizers (<see cref="BpeTokenizer"/> with <c>ByteLevel</c>), the added tokens (specials, languages,
/// tasks, timestamps) are handled here, since the model decides which of them to keep. Ids that are neither (the
/// empty placeholder at 50256) decode to nothing, as in openai/whisper.
/// </summary>
public sealed partial class WhisperTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<int, AddedToken> _added;
    private readonly Dictionary<string, int> _addedIds;

    private WhisperTokenizer(BpeTokenizer bpe, Dictionary<int, AddedToken> added)
    {
        _bpe = bpe;
        _added = added;
        _addedIds = added.ToDictionary(pair => pair.Value.Content, pair => pair.Key, StringComparer.Ordinal);
    }

    private sealed record AddedToken(string Content, bool Special);

    /// <summary>Loads <c>tokenizer.json</c> (HF tokenizers format, <c>model.type</c> BPE with byte-level pre-tokenizer).</summary>
    public static WhisperTokenizer Load(string tokenizerJsonPath)
    {
        try
        {
            using var stream = File.OpenRead(tokenizerJsonPath);
            using var json = JsonDocument.Parse(stream);
            var root = json.RootElement;
            var model = root.GetProperty("model");
            if (model.TryGetProperty("type", out var type) && type.GetString() != "BPE")
                throw new InvalidDataException($"model.type is {type.GetString()}, not BPE.");

            var added = new Dictionary<int, AddedToken>();
            if (root.TryGetProperty("added_tokens", out var addedTokens))
            {
                foreach (var token in addedTokens.EnumerateArray())
                {
                    added[token.GetProperty("id").GetInt32()] =
                        new AddedToken(token.GetProperty("content").GetString()!, token.TryGetProperty("special", out var s) && s.GetBoolean());
                }
            }

            // The BPE keeps the ordinary vocabulary only: added tokens are matched and decoded here, and the empty
            // placeholder string (id 50256 in the multilingual vocab) is not a BPE piece.
            var vocabulary = model.GetProperty("vocab").EnumerateObject()
                .Where(entry => entry.Name.Length > 0 && !added.ContainsKey(entry.Value.GetInt32()))
                .Select(entry => KeyValuePair.Create(entry.Name, entry.Value.GetInt32()))
                .ToList();
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(merge => merge.ValueKind == JsonValueKind.Array ? $"{merge[0].GetString()} {merge[1].GetString()}" : merge.GetString()!)
                .ToList();

            var specials = added.Where(pair => pair.Value.Special).ToDictionary(pair => pair.Value.Content, pair => pair.Key, StringComparer.Ordinal);
            var options = new BpeOptions(vocabulary)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = specials,
                PreTokenizer = new RegexPreTokenizer(Gpt2Split(), specials),
            };
            return new WhisperTokenizer(BpeTokenizer.Create(options), added);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new ModelLoadException("", $"Could not read the Whisper tokenizer '{tokenizerJsonPath}': {e.Message}", e);
        }
    }

    /// <summary>The id of an added token such as <c>&lt;|en|&gt;</c> or <c>&lt;|nospeech|&gt;</c>, if the model has it.</summary>
    public int? IdOf(string addedToken) => _addedIds.TryGetValue(addedToken, out var id) ? id : null;

    /// <summary>Ids of ordinary text (no prompt tokens are added).</summary>
    public IReadOnlyList<int> Encode(string text) => _bpe.EncodeToIds(text);

    /// <summary>
    /// Text of <paramref name="ids"/>. With <paramref name="skipSpecialTokens"/>, special added tokens are dropped, and
    /// so are timestamp ids (≥ <paramref name="timestampBegin"/>, which the model's generation config gives), as HF's
    /// Whisper decode does unless asked to keep them; otherwise every added token is written as its text.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true, int? timestampBegin = null)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if (!_added.TryGetValue(id, out var added))
            {
                run.Add(id);
                continue;
            }

            Flush();
            var isTimestamp = timestampBegin is { } begin && id >= begin;
            if (!skipSpecialTokens || !(added.Special || isTimestamp))
                text.Append(added.Content);
        }

        Flush();
        return text.ToString();

        // Runs of ordinary ids are decoded together, so multi-byte characters split across tokens come out whole.
        void Flush()
        {
            if (run.Count == 0)
                return;
            text.Append(_bpe.Decode(run, considerSpecialTokens: false));
            run.Clear();
        }
    }

    // GPT-2's split pattern, which Whisper's byte-level pre-tokenizer (use_regex: true) applies.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Split();
}
