namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// Splits long text into pieces a model speaks in one call, at the latest sentence end that fits (., !, ?, …, a
/// newline), else the latest clause mark (, ; :), else the latest space, else exactly at the bound. The pieces, joined,
/// are the text minus the whitespace between them; none is empty or longer than the bound.
/// </summary>
public static class SentenceChunks
{
    private static readonly char[] SentenceEnds = ['.', '!', '?', '…', '\n', '。', '！', '？'];
    private static readonly char[] ClauseEnds = [',', ';', ':', '，', '、'];

    public static IReadOnlyList<string> Split(string text, int maxChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 1);
        var chunks = new List<string>();
        var rest = text.AsSpan().Trim();
        while (rest.Length > maxChars)
        {
            var window = rest[..(maxChars + 1)];
            var cut = LastBreak(window, SentenceEnds) ?? LastBreak(window, ClauseEnds) ?? LastSpace(window) ?? maxChars;
            AddTrimmed(chunks, rest[..cut]);
            rest = rest[cut..].TrimStart();
        }

        AddTrimmed(chunks, rest);
        return chunks;
    }

    /// <summary>The length of the longest prefix of <paramref name="window"/> (short of its last char) ending in a mark followed by a space or the window's end.</summary>
    private static int? LastBreak(ReadOnlySpan<char> window, char[] marks)
    {
        for (var i = window.Length - 2; i > 0; i--)
            if (Array.IndexOf(marks, window[i]) >= 0 && (char.IsWhiteSpace(window[i + 1]) || window[i] == '\n' || window[i] > '\u3000'))
                return i + 1;
        return null;
    }

    private static int? LastSpace(ReadOnlySpan<char> window)
    {
        var space = window.LastIndexOfAny(' ', '\t');
        return space > 0 ? space : null;
    }

    private static void AddTrimmed(List<string> chunks, ReadOnlySpan<char> chunk)
    {
        var trimmed = chunk.Trim();
        if (!trimmed.IsEmpty)
            chunks.Add(trimmed.ToString());
    }
}
