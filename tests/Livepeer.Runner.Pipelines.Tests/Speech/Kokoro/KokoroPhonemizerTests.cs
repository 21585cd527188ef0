using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Kokoro;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

/// <summary>The installed espeak-ng as Kokoro's phonemizer; the expected strings are espeak-ng 1.51's IPA with kokoro.js's replacements.</summary>
public sealed class KokoroPhonemizerTests
{
    private static readonly KokoroPhonemizer Phonemizer = new(new EspeakOptions());

    private static Task<string> PhonemizeAsync(string text, string language = "en-us") => Phonemizer.PhonemizeAsync(text, language, CancellationToken.None);

    [Fact]
    public async Task Phonemize_IsEspeakIpa_WithPunctuationKept()
    {
        Assert.Equal("həlˈoʊ wˈɜːld, hˈaʊ ɑːɹ juː?", await PhonemizeAsync("Hello world, how are you?"));
    }

    [Fact]
    public async Task Phonemize_SpellsKokoroTheWayKokoroDoes()
    {
        Assert.Equal("kˈoʊkəɹoʊ.", await PhonemizeAsync("Kokoro."));
        Assert.Equal("kˈəʊkəɹəʊ.", await PhonemizeAsync("Kokoro.", "en-gb"));
    }

    [Fact]
    public async Task Phonemize_AmericanNinety_HasAFlap()
    {
        Assert.Equal("nˈaɪndi nˈaɪn", await PhonemizeAsync("ninety nine"));
        Assert.Equal("nˈaɪnti nˈaɪn", await PhonemizeAsync("ninety nine", "en-gb"));
    }

    [Fact]
    public async Task Phonemize_AClauseEspeakSplitsItself_IsTheSameAsItsPartsAlone()
    {
        // espeak-ng ends a clause at an en dash, which is not Kokoro punctuation: the one-run lines no longer match the sections.
        Assert.Equal(
            $"{await PhonemizeAsync("one")} {await PhonemizeAsync("two")}, {await PhonemizeAsync("three")}",
            await PhonemizeAsync("one – two, three"));
    }

    [Fact]
    public async Task Phonemize_PhonemeBrackets_AreNotPhonemeInput()
    {
        // Interpreted, [[h@loU]] would be "hello"; as text espeak-ng spells h, at, l, o, u between the brackets.
        var phonemes = await PhonemizeAsync("say [[h@loU]] now");

        Assert.StartsWith("sˈeɪ [[", phonemes, StringComparison.Ordinal);
        Assert.EndsWith("]] nˈaʊ", phonemes, StringComparison.Ordinal);
        Assert.DoesNotContain("həlˈoʊ", phonemes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Phonemize_OfOnlyPunctuation_IsThePunctuation()
    {
        Assert.Equal("...", await PhonemizeAsync("..."));
    }

    [Theory]
    [InlineData("ɾr x ɬ tʲ", "en-us", "ɾɹ k l tj")]
    [InlineData("fˈaɪv hˈʌndɹɪd", "en-us", "fˈaɪv hˈʌndɹɪd")]
    [InlineData("fˈaɪvhˈʌndɹɪd", "en-us", "fˈaɪv hˈʌndɹɪd")]
    [InlineData("ɪts z.", "en-us", "ɪtsz.")]
    [InlineData("nˈaɪnti nˈaɪntiːn", "en-us", "nˈaɪndi nˈaɪntiːn")]
    public void Kokoro_AppliesKokorosReplacements(string ipa, string language, string phonemes)
    {
        Assert.Equal(phonemes, KokoroPhonemizer.Kokoro(ipa, language));
    }
}
