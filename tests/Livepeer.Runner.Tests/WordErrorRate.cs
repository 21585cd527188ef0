using System.Text;

namespace Livepeer.Runner.Tests;

/// <summary>
/// Word error rate: (substitutions + deletions + insertions) / reference words, after a plain normalisation (lower
/// case; anything but letters, digits and apostrophes is a word break), the way ASR scores are usually reported.
/// </summary>
internal static class WordErrorRate
{
    public static string[] Words(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
            cleaned.Append(char.IsLetterOrDigit(c) || c == '\'' ? c : ' ');
        return cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The word-level edit distance between <paramref name="reference"/> and <paramref name="hypothesis"/>.</summary>
    public static int Errors(string reference, string hypothesis)
    {
        var r = Words(reference);
        var h = Words(hypothesis);
        var previous = Enumerable.Range(0, h.Length + 1).ToArray();
        var current = new int[h.Length + 1];
        for (var i = 1; i <= r.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= h.Length; j++)
            {
                var substitution = previous[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[h.Length];
    }

    /// <summary>Corpus WER: all errors over all reference words.</summary>
    public static double Of(IEnumerable<(string Reference, string Hypothesis)> pairs)
    {
        var list = pairs.ToList();
        return list.Sum(p => Errors(p.Reference, p.Hypothesis)) / (double)list.Sum(p => Words(p.Reference).Length);
    }
}
