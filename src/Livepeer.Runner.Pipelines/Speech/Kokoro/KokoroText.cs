using System.Text.RegularExpressions;

namespace Livepeer.Runner.Pipelines.Speech.Kokoro;

/// <summary>
/// The text side of Kokoro's phonemizer (kokoro.js <c>normalize_text</c> and its punctuation split), after
/// <see cref="EspeakText.Plain"/> has dropped what espeak-ng would interpret: quotes and brackets made the marks
/// Kokoro knows, CJK punctuation made ASCII, whitespace made plain spaces (newlines kept), digit grouping commas
/// dropped, decimals read "point", and ranges "to". Then the text is cut into runs of punctuation, which are kept as
/// they are (Kokoro has ids for them), and the words between, which espeak-ng phonemizes.
/// Kokoro's abbreviation, money, year and clock rules are not applied: espeak-ng reads those itself.
/// </summary>
public static partial class KokoroText
{
    /// <summary>A piece of normalized text: punctuation (with the spaces around it) or words.</summary>
    public readonly record struct Section(bool IsPunctuation, string Text);

    [GeneratedRegex(@"(?:\s*[;:,.!?¡¿—…""«»“”(){}\[\]]+\s*)+", RegexOptions.CultureInvariant)]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"[^\S \n]", RegexOptions.CultureInvariant)]
    private static partial Regex OtherWhitespace();

    [GeneratedRegex(@"  +", RegexOptions.CultureInvariant)]
    private static partial Regex RepeatedSpaces();

    [GeneratedRegex(@"(?<=\n) +(?=\n)", RegexOptions.CultureInvariant)]
    private static partial Regex SpacesBetweenNewlines();

    [GeneratedRegex(@"(?<=\d),(?=\d)", RegexOptions.CultureInvariant)]
    private static partial Regex DigitGrouping();

    [GeneratedRegex(@"\d*\.\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Decimal();

    [GeneratedRegex(@"(?<=\d)-(?=\d)", RegexOptions.CultureInvariant)]
    private static partial Regex Range();

    public static string Normalize(string text)
    {
        var normalized = text
            .Replace('‘', '\'').Replace('’', '\'')
            .Replace('«', '“').Replace('»', '”')
            .Replace('“', '"').Replace('”', '"')
            .Replace('(', '«').Replace(')', '»')
            .Replace("、", ", ", StringComparison.Ordinal).Replace("。", ". ", StringComparison.Ordinal)
            .Replace("！", "! ", StringComparison.Ordinal).Replace("，", ", ", StringComparison.Ordinal)
            .Replace("：", ": ", StringComparison.Ordinal).Replace("；", "; ", StringComparison.Ordinal)
            .Replace("？", "? ", StringComparison.Ordinal);
        normalized = OtherWhitespace().Replace(normalized, " ");
        normalized = RepeatedSpaces().Replace(normalized, " ");
        normalized = SpacesBetweenNewlines().Replace(normalized, "");
        normalized = DigitGrouping().Replace(normalized, "");
        normalized = Decimal().Replace(normalized, match => ReadDecimal(match.Value));
        normalized = Range().Replace(normalized, " to ");
        return normalized.Trim();
    }

    /// <summary>"3.14" as "3 point 1 4" (and ".5" as " point 5"): espeak-ng then reads the digits one by one.</summary>
    private static string ReadDecimal(string number)
    {
        var point = number.IndexOf('.', StringComparison.Ordinal);
        return number[..point] + " point " + string.Join(' ', number[(point + 1)..].ToCharArray());
    }

    /// <summary>The normalized text as alternating punctuation and word sections, in order; none is empty.</summary>
    public static IReadOnlyList<Section> Sections(string normalized)
    {
        var sections = new List<Section>();
        var at = 0;
        foreach (Match match in Punctuation().Matches(normalized))
        {
            if (match.Index > at)
                sections.Add(new Section(false, normalized[at..match.Index]));
            if (match.Length > 0)
                sections.Add(new Section(true, match.Value));
            at = match.Index + match.Length;
        }

        if (at < normalized.Length)
            sections.Add(new Section(false, normalized[at..]));
        return sections;
    }
}
