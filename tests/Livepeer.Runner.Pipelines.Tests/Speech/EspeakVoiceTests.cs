using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Speech;

namespace Livepeer.Runner.Pipelines.Tests.Speech;

/// <summary>The installed espeak-ng (Debian package espeak-ng) as a child process.</summary>
public sealed class EspeakVoiceTests
{
    private static readonly EspeakOptions Options = new();
    private static readonly Lazy<Task<EspeakVoice>> EnUs = new(() => EspeakVoice.LoadAsync("espeak-ng/en-us", "en-us", Options, CancellationToken.None));

    private static async Task<MonoAudio> SpeakAsync(string text) => await (await EnUs.Value).SpeakAsync(text, CancellationToken.None);

    [Fact]
    public async Task IsAvailable_WithInstalledEspeak_IsTrue()
    {
        Assert.True(await EspeakVoice.IsAvailableAsync(Options));
    }

    [Fact]
    public async Task IsAvailable_WithMissingExecutable_IsFalse()
    {
        Assert.False(await EspeakVoice.IsAvailableAsync(new EspeakOptions { ExecutablePath = "/nonexistent/espeak-ng" }));
    }

    [Fact]
    public async Task Load_WithMissingExecutable_ThrowsEngineUnavailable()
    {
        var missing = new EspeakOptions { ExecutablePath = "/nonexistent/espeak-ng" };
        await Assert.ThrowsAsync<EngineUnavailableException>(() => EspeakVoice.LoadAsync("espeak-ng/en-us", "en-us", missing, CancellationToken.None));
    }

    [Fact]
    public async Task List_HasTheCommonLanguages()
    {
        var voices = await EspeakVoice.ListAsync(Options, CancellationToken.None);

        Assert.Contains("en-us", voices);
        Assert.Contains("de", voices);
        Assert.DoesNotContain("Language", voices);
    }

    [Fact]
    public async Task Load_MatchesTheVoiceCaseInsensitively()
    {
        using var voice = await EspeakVoice.LoadAsync("espeak-ng/EN-US", "EN-US", Options, CancellationToken.None);

        Assert.Equal("en-us", voice.Name);
    }

    [Theory]
    [InlineData("xx-nothing")]
    [InlineData("en-us+f3")]
    [InlineData("--help")]
    [InlineData("../../etc/passwd")]
    [InlineData("gmw/en-US")]
    [InlineData("")]
    public async Task Load_UnknownVoice_ThrowsModelLoadNamingIt(string voice)
    {
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => EspeakVoice.LoadAsync("espeak-ng/" + voice, voice, Options, CancellationToken.None));

        Assert.Equal("espeak-ng/" + voice, error.ModelId);
        Assert.Contains($"'{voice}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Speak_Gives22kHzAudio_ThatGrowsWithTheText()
    {
        var short_ = await SpeakAsync("Hello world.");
        var longer = await SpeakAsync("Hello world. This sentence is a good deal longer than the first one.");

        Assert.Equal(EspeakVoice.SampleRate, short_.SampleRate);
        Assert.InRange(short_.Duration.TotalSeconds, 0.5, 3);
        Assert.True(longer.Samples.Length > 2 * short_.Samples.Length, $"{longer.Samples.Length} vs {short_.Samples.Length}");
        Assert.Contains(short_.Samples, s => Math.Abs(s) > 0.05f);
    }

    [Fact]
    public async Task Speak_SameTextTwice_GivesTheSameSamples()
    {
        Assert.Equal((await SpeakAsync("The same words.")).Samples, (await SpeakAsync("The same words.")).Samples);
    }

    [Fact]
    public async Task Speak_PhonemeBrackets_AreReadAsText()
    {
        // Interpreted, [[h@loU]] would be the two syllables of "hello"; read as text it is spelled out, "h at l o u".
        var brackets = await SpeakAsync("say [[h@loU]] now");
        var hello = await SpeakAsync("say hello now");

        Assert.True(brackets.Samples.Length > 1.5 * hello.Samples.Length, $"{brackets.Samples.Length} vs {hello.Samples.Length}");
    }

    [Theory]
    [InlineData("hello \u000180S there", "hello 80S there")] // U+0001 starts an espeak-ng embedded command
    [InlineData("hello\0 there", "hello there")]
    public async Task Speak_ControlCharacters_AreDropped(string text, string plain)
    {
        Assert.Equal((await SpeakAsync(plain)).Samples, (await SpeakAsync(text)).Samples);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-v xx --stdout -w /tmp/x.wav")]
    [InlineData("<speak><audio src=\"/etc/passwd\"/>hi</speak>")]
    public async Task Speak_OptionsAndMarkupInTheText_AreSpoken(string text)
    {
        var audio = await SpeakAsync(text);

        Assert.True(audio.Duration.TotalSeconds > 0.5, $"{audio.Duration}");
    }

    [Fact]
    public async Task Speak_OverTheDurationBound_IsBadInput()
    {
        using var voice = await EspeakVoice.LoadAsync("espeak-ng/en-us", "en-us", Options with { MaxDuration = TimeSpan.FromSeconds(1) }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BadInputException>(() => voice.SpeakAsync("This sentence takes a good deal longer than one second to say.", CancellationToken.None));
        Assert.Contains("longer than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Speak_PastTheTimeout_IsAnInferenceError()
    {
        using var voice = await EspeakVoice.LoadAsync("espeak-ng/en-us", "en-us", Options with { Timeout = TimeSpan.Zero }, CancellationToken.None);

        await Assert.ThrowsAsync<InferenceException>(() => voice.SpeakAsync("Hello.", CancellationToken.None));
    }

    [Fact]
    public async Task Speak_Cancelled_ThrowsOperationCanceled()
    {
        var voice = await EnUs.Value;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => voice.SpeakAsync("Hello.", new CancellationToken(canceled: true)));
    }
}
