using System.Text;
using System.Text.RegularExpressions;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Speech.Kokoro;

/// <summary>
/// Text to Kokoro's phoneme string, as kokoro.js <c>phonemize</c> builds it: the normalized text's word sections go to
/// espeak-ng for IPA (<c>--ipa</c>, stress marks kept, no ties), the punctuation sections stay as they are, and
/// kokoro's replacements make espeak-ng's symbols the ones Kokoro was trained on (r → ɹ, x → k, …).
/// espeak-ng runs in <see cref="EspeakProcess"/>'s sandbox: arguments fixed, the text on stdin only, output and time
/// bounded. One run does all the word sections of a text, one per paragraph; espeak-ng writes a line per clause, so
/// when it splits a section itself (at a mark Kokoro does not treat as punctuation, such as an en dash) the lines no
/// longer match the sections and each section gets a run of its own.
/// </summary>
public sealed partial class KokoroPhonemizer(EspeakOptions options)
{
    /// <summary>Bound on the IPA read back: a few bytes per input character, with room to spare.</summary>
    private const int MinOutputBytes = 64 * 1024;

    [GeneratedRegex(@"\([a-z]{2,3}(?:-[a-z0-9]+)*\)", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageSwitchFlag();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<=[a-zɹː])(?=hˈʌndɹɪd)", RegexOptions.CultureInvariant)]
    private static partial Regex BeforeHundred();

    [GeneratedRegex(@" z(?=[;:,.!?¡¿—…""«»“” ]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex LoneZ();

    [GeneratedRegex(@"(?<=nˈaɪn)ti(?!ː)", RegexOptions.CultureInvariant)]
    private static partial Regex NinetyAmerican();

    /// <summary>The phoneme string of <paramref name="text"/> (already plain, see <see cref="EspeakText.Plain"/>) for an espeak-ng <paramref name="language"/> (<c>en-us</c>, <c>en-gb</c>).</summary>
    /// <exception cref="InferenceException">espeak-ng failed, timed out or wrote too much.</exception>
    public async Task<string> PhonemizeAsync(string text, string language, CancellationToken cancellationToken)
    {
        var sections = KokoroText.Sections(KokoroText.Normalize(text));
        var words = sections.Where(s => !s.IsPunctuation).Select(s => Whitespace().Replace(s.Text, " ").Trim()).ToList();
        var spoken = words.Where(w => w.Length > 0).ToList();
        var ipa = spoken.Count == 0 ? [] : await IpaLinesAsync(string.Join("\n\n", spoken), language, cancellationToken).ConfigureAwait(false);
        if (ipa.Count != spoken.Count)
        {
            ipa = [];
            foreach (var word in spoken)
                ipa.Add(string.Join(' ', await IpaLinesAsync(word, language, cancellationToken).ConfigureAwait(false)));
        }

        var phonemes = new StringBuilder();
        var next = 0;
        var w = 0;
        foreach (var section in sections)
        {
            if (section.IsPunctuation)
                phonemes.Append(section.Text);
            else if (words[w++].Length == 0)
                phonemes.Append(' ');
            else
                phonemes.Append(ipa[next++]);
        }

        return Kokoro(phonemes.ToString(), language).Trim();
    }

    /// <summary>kokoro.js's replacements on espeak-ng's IPA; the last one for American English only.</summary>
    internal static string Kokoro(string ipa, string language)
    {
        var phonemes = ipa
            .Replace("kəkˈoːɹoʊ", "kˈoʊkəɹoʊ", StringComparison.Ordinal)
            .Replace("kəkˈɔːɹəʊ", "kˈəʊkəɹəʊ", StringComparison.Ordinal)
            .Replace('ʲ', 'j')
            .Replace('r', 'ɹ')
            .Replace('x', 'k')
            .Replace('ɬ', 'l');
        phonemes = BeforeHundred().Replace(phonemes, " ");
        phonemes = LoneZ().Replace(phonemes, "z");
        return language == "en-us" ? NinetyAmerican().Replace(phonemes, "di") : phonemes;
    }

    /// <summary>espeak-ng's IPA for <paramref name="input"/>: one line per clause, trimmed, language-switch flags removed.</summary>
    private async Task<List<string>> IpaLinesAsync(string input, string language, CancellationToken cancellationToken)
    {
        var bytes = EspeakProcess.Stdin(input);
        string[] arguments = ["-q", "-b", "1", "--ipa", "-v", language, "--stdin"];
        var run = await EspeakProcess.RunOnTextAsync(options, arguments, bytes, MinOutputBytes + 32L * bytes.Length, cancellationToken).ConfigureAwait(false);

        if (run.ExitCode != 0 || run.StdoutOverflowed)
            throw new InferenceException($"espeak-ng could not phonemize the text (exit code {run.ExitCode})", new InvalidOperationException(run.Stderr));
        return [.. Encoding.UTF8.GetString(run.Stdout)
            .Split('\n')
            .Select(line => LanguageSwitchFlag().Replace(line, "").Trim())
            .Where(line => line.Length > 0)];
    }
}
