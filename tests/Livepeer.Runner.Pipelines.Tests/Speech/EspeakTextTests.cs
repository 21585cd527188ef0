using Livepeer.Runner.Pipelines.Speech;

namespace Livepeer.Runner.Pipelines.Tests.Speech;

public sealed class EspeakTextTests
{
    [Theory]
    [InlineData("Hello, world. <speak>x</speak> & -v --stdout", "Hello, world. <speak>x</speak> & -v --stdout")]
    [InlineData("say [[h@loU]] now", "say [ [h@loU]] now")]
    [InlineData("[[[[", "[ [ [ [")]
    [InlineData("[\0[", "[ [")]
    [InlineData("a\0b", "ab")]
    [InlineData("speed \u000180S up", "speed 80S up")]
    [InlineData("bell\a esc\u001b[31m del\u007f c1\u0085", "bell esc[31m del c1")]
    [InlineData("tab\there\r\nline", "tab here\nline")]
    [InlineData("private \uE000\uF8FF use", "private  use")]
    [InlineData("emoji 😀 stays", "emoji 😀 stays")]
    public void Plain_KeepsTextAndDropsWhatEspeakWouldInterpret(string text, string expected)
    {
        Assert.Equal(expected, EspeakText.Plain(text));
    }

    [Fact]
    public void Plain_DropsLoneSurrogates()
    {
        // Not inline data: a lone surrogate does not survive the theory's serialization.
        Assert.Equal("lone  surrogate ", EspeakText.Plain("lone \uD800 surrogate \uDC00"));
    }

    [Fact]
    public void Plain_DropsSupplementaryPrivateUse()
    {
        Assert.Equal("ab", EspeakText.Plain("a" + char.ConvertFromUtf32(0xF0000) + "b"));
    }
}
