using Livepeer.Runner.Pipelines.Speech.Kokoro;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

public sealed class KokoroTextTests
{
    [Theory]
    [InlineData("  Hello   world  ", "Hello world")]
    [InlineData("‘quoted’ “words” «here»", "'quoted' \"words\" \"here\"")]
    [InlineData("a (b) c", "a «b» c")]
    [InlineData("你好，世界。", "你好, 世界.")]
    [InlineData("tab\there\r\nnext", "tab here \nnext")]
    [InlineData("1,000,000 people", "1000000 people")]
    [InlineData("pi is 3.14", "pi is 3 point 1 4")]
    [InlineData("pages 10-20", "pages 10 to 20")]
    public void Normalize_IsKokorosTextRules(string text, string normalized)
    {
        Assert.Equal(normalized, KokoroText.Normalize(text));
    }

    [Fact]
    public void Sections_KeepPunctuationRunsWithTheirSpaces_BetweenTheWords()
    {
        Assert.Equal(
            [new(false, "Hello"), new(true, ", "), new(false, "world"), new(true, "?! "), new(false, "Yes"), new(true, ".")],
            KokoroText.Sections("Hello, world?! Yes."));
    }

    [Fact]
    public void Sections_MakeEspeakBracketsPunctuation_SoPhonemeInputNeverReachesIt()
    {
        Assert.Equal(
            [new(false, "say"), new(true, " [ [ "), new(false, "h@loU"), new(true, " ] ] "), new(false, "now")],
            KokoroText.Sections("say [ [ h@loU ] ] now"));
    }
}
