namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Groups a segment's byte-level BPE text tokens into words, as transformers' Whisper tokenizer does for
/// <c>return_timestamps="word"</c> (<c>_combine_tokens_into_words</c>): tokens are first joined until they decode to
/// whole characters; then a piece that starts with a space, is punctuation, or is a special token opens a word and
/// any other piece extends the previous one (for languages written without spaces every piece is a word); then
/// opening punctuation after a space joins the next word and closing punctuation the previous one.
/// </summary>
internal static class WhisperWords
{
    /// <summary>A word's text and the range of token indices it covers.</summary>
    public sealed record Word(string Text, int FirstToken, int LastToken);

    public const string PrependPunctuations = "\"'“¡¿([{-";
    public const string AppendPunctuations = "\"'.。,，!！?？:：”)]}、";

    // transformers tests `subword.strip() in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"`: a substring test, so the empty
    // string (a whitespace-only piece) and runs such as "()" count too.
    private const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    // Languages whose words are not separated by spaces (transformers' list, as language codes).
    private static readonly HashSet<string> UnspacedLanguages = ["zh", "ja", "th", "lo", "my", "yue"];

    /// <summary>Whether a language (a code such as <c>en</c>, or null for English) is split into characters, not words.</summary>
    public static bool SplitsOnCharacters(string? language) => language is not null && UnspacedLanguages.Contains(language);

    /// <param name="tokens">Text tokens of one segment (no timestamps or prompt tokens).</param>
    /// <param name="firstSpecialId">Ids at or above it are special (Whisper's <c>&lt;|endoftext|&gt;</c>).</param>
    public static List<Word> Group(IReadOnlyList<int> tokens, WhisperTokenizer tokenizer, int firstSpecialId, string? language = null)
    {
        var pieces = SplitOnCharacters(tokens, tokenizer);
        var words = SplitsOnCharacters(language) ? pieces : JoinOnSpaces(pieces, tokens, firstSpecialId);
        return MergePunctuation(words);
    }

    /// <summary>
    /// Pieces of consecutive tokens that decode to whole characters: a token that ends in the middle of a multi-byte
    /// character decodes with U+FFFD, so it is joined with the next ones until the character is complete (or the
    /// replacement character is really in the text).
    /// </summary>
    private static List<Word> SplitOnCharacters(IReadOnlyList<int> tokens, WhisperTokenizer tokenizer)
    {
        const char replacement = '\uFFFD';
        var full = tokenizer.Decode(tokens, skipSpecialTokens: false);
        var pieces = new List<Word>();
        var first = 0;
        var offset = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var decoded = tokenizer.Decode(Range(tokens, first, i), skipSpecialTokens: false);
            var bad = decoded.IndexOf(replacement);
            if (bad < 0 || (offset + bad < full.Length && full[offset + bad] == replacement))
            {
                pieces.Add(new Word(decoded, first, i));
                offset += decoded.Length;
                first = i + 1;
            }
        }

        return pieces;
    }

    private static IEnumerable<int> Range(IReadOnlyList<int> tokens, int first, int last)
    {
        for (var i = first; i <= last; i++)
            yield return tokens[i];
    }

    private static List<Word> JoinOnSpaces(List<Word> pieces, IReadOnlyList<int> tokens, int firstSpecialId)
    {
        var words = new List<Word>();
        foreach (var piece in pieces)
        {
            var special = tokens[piece.FirstToken] >= firstSpecialId;
            var opensWord = special || piece.Text.StartsWith(' ') || AsciiPunctuation.Contains(piece.Text.Trim(), StringComparison.Ordinal);
            if (opensWord || words.Count == 0)
                words.Add(piece);
            else
                words[^1] = new Word(words[^1].Text + piece.Text, words[^1].FirstToken, piece.LastToken);
        }

        return words;
    }

    // transformers empties a merged word in place and drops the empty ones at the end; an empty word still takes part
    // in the second pass (closing punctuation after it stays a word of its own), so it is kept as such here.
    private static readonly Word Empty = new("", -1, -1);

    private static Word Join(Word left, Word right) =>
        left.Text.Length == 0 ? right : right.Text.Length == 0 ? left : new Word(left.Text + right.Text, left.FirstToken, right.LastToken);

    private static List<Word> MergePunctuation(List<Word> input)
    {
        var words = input.ToArray();

        // Opening punctuation after a space joins the word that follows it (scanned right to left).
        var next = words.Length - 1;
        for (var i = words.Length - 2; i >= 0; i--)
        {
            if (words[i].Text.StartsWith(' ') && PrependPunctuations.Contains(words[i].Text.Trim(), StringComparison.Ordinal))
            {
                words[next] = Join(words[i], words[next]);
                words[i] = Empty;
            }
            else
            {
                next = i;
            }
        }

        // Closing punctuation joins the word before it, unless that word ends with a space.
        var previous = 0;
        for (var j = 1; j < words.Length; j++)
        {
            if (!words[previous].Text.EndsWith(' ') && AppendPunctuations.Contains(words[j].Text, StringComparison.Ordinal))
            {
                words[previous] = Join(words[previous], words[j]);
                words[j] = Empty;
            }
            else
            {
                previous = j;
            }
        }

        return [.. words.Where(w => w.Text.Length > 0)];
    }
}
