using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>BERT's normaliser and pre-tokeniser (HF tokenizers' BertNormalizer and BertPreTokenizer), code point by code point.</summary>
internal static class BertText
{
    private static readonly Lazy<FrozenDictionary<int, string>> StripAccentsTable = new(LoadStripAccents);

    public static string Normalize(ReadOnlySpan<char> text, bool cleanText, bool chineseChars, bool stripAccents, bool lowercase)
    {
        var result = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            if (cleanText)
            {
                if (rune.Value is 0 or 0xFFFD || IsControl(rune))
                    continue;
                if (IsWhitespace(rune))
                {
                    result.Append(' ');
                    continue;
                }
            }

            if (chineseChars && IsChinese(rune.Value))
                result.Append(' ').Append(rune.ToString()).Append(' ');
            else
                result.Append(rune.ToString());
        }

        var normalized = result.ToString();
        if (stripAccents)
        {
            result.Clear();
            foreach (var rune in normalized.EnumerateRunes())
                AppendWithoutAccents(rune, result);
            normalized = result.ToString();
        }

        return lowercase ? normalized.ToLowerInvariant() : normalized;
    }

    /// <summary>
    /// NFD with the non-spacing marks dropped. The runner runs with InvariantGlobalization, where string.Normalize
    /// knows only ASCII, so the decompositions come from a table made with Python's unicodedata
    /// (<c>scripts/unicode/strip_accents_table.py</c>); Hangul syllables decompose by the Unicode formula.
    /// </summary>
    private static void AppendWithoutAccents(Rune rune, StringBuilder result)
    {
        const int hangulFirst = 0xAC00, hangulCount = 11172, vowels = 21, trailings = 28;
        if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            return;
        if (rune.Value - hangulFirst is >= 0 and < hangulCount)
        {
            var s = rune.Value - hangulFirst;
            result.Append((char)(0x1100 + (s / (vowels * trailings)))).Append((char)(0x1161 + (s % (vowels * trailings) / trailings)));
            if (s % trailings != 0)
                result.Append((char)(0x11A7 + (s % trailings)));
            return;
        }

        if (StripAccentsTable.Value.TryGetValue(rune.Value, out var stripped))
            result.Append(stripped);
        else
            result.Append(rune.ToString());
    }

    private static FrozenDictionary<int, string> LoadStripAccents()
    {
        using var stream = typeof(BertText).Assembly.GetManifestResourceStream("Livepeer.Runner.Pipelines.Captioning.StripAccents.txt")
            ?? throw new InvalidOperationException("The StripAccents.txt resource is missing from the build.");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<int, string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var fields = line.Split(' ');
            var text = new StringBuilder();
            foreach (var field in fields.AsSpan(1))
                text.Append(char.ConvertFromUtf32(int.Parse(field, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            table[int.Parse(fields[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = text.ToString();
        }

        return table.ToFrozenDictionary();
    }

    /// <summary>Splits on whitespace (dropped) and around each punctuation character (kept as a word of its own).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || IsPunctuation(rune))
            {
                if (word.Length > 0)
                    words.Add(word.ToString());
                word.Clear();
                if (!Rune.IsWhiteSpace(rune))
                    words.Add(rune.ToString());
            }
            else
                word.Append(rune.ToString());
        }

        if (word.Length > 0)
            words.Add(word.ToString());
        return words;
    }

    // Tab, newline and carriage return are controls that BERT counts as whitespace.
    private static bool IsWhitespace(Rune rune) => rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune);

    private static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r')
        && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate;

    // All ASCII non-alphanumeric printables (so "$", "^", "`", "~" too), and Unicode's P* categories.
    private static bool IsPunctuation(Rune rune) =>
        rune.Value is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126) || Rune.IsPunctuation(rune);

    // The CJK Unified Ideographs blocks of BERT's _is_chinese_char (not Japanese kana or Korean hangul).
    private static bool IsChinese(int c) =>
        c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
