using System.Net;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>
/// /text-to-speech on the tiny Kokoro fixture (warm), and on a copy of it with a second voice, <c>bf_reversed</c>
/// (af_heart's style rows in reverse order), so a named voice is heard to change the audio.
/// </summary>
public sealed class KokoroRunner : ConfiguredRunner
{
    public const string Kokoro = "onnx-community/Kokoro-82M-v1.0-ONNX";
    public const string TwoVoices = "test/kokoro-two-voices";
    public const int MaxChars = 3000;

    private readonly KokoroFolder _twoVoices = TwoVoiceFolder();

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-speech", model_id = "espeak-ng/en-us", warm = false },
        new { pipeline = "text-to-speech", model_id = Kokoro, warm = true, path = TestPaths.Model("tiny", "kokoro") },
        new { pipeline = "text-to-speech", model_id = TwoVoices, warm = false, path = _twoVoices.Path },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
        [("RUNNER_TTS_MAX_CHARS", MaxChars.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _twoVoices.Dispose();
    }

    private static KokoroFolder TwoVoiceFolder()
    {
        var folder = KokoroFolder.CopyOfFixture();
        folder.AddReversedVoice("bf_reversed");
        return folder;
    }
}

public sealed class KokoroRouteTests(KokoroRunner runner) : IClassFixture<KokoroRunner>
{
    private const string NothingToSay = "The text has nothing Kokoro can pronounce; send words.";
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent Body(string text, string modelId = KokoroRunner.Kokoro, string? description = null) =>
        Requests.Json(description is null
            ? JsonSerializer.Serialize(new { text, model_id = modelId })
            : JsonSerializer.Serialize(new { text, model_id = modelId, description }));

    private async Task<byte[]> SpeakAsync(string text, string modelId = KokoroRunner.Kokoro, string? description = null)
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(text, modelId, description));
        return SpeechWav.Decode(await response.ReadJsonAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Text_IsA24kHzMonoPcm16Wav_ThatGrowsWithTheText()
    {
        var hello = SpeechWav.AssertMonoPcm16(await SpeakAsync("Hello world."), 24_000);
        var longer = SpeechWav.AssertMonoPcm16(await SpeakAsync("Hello world. The quick brown fox jumps over the lazy dog, twice over."), 24_000);

        Assert.InRange(hello, 24_000 / 10, 24_000 * 5);
        Assert.True(longer > 2 * hello, $"{longer} vs {hello} samples");
    }

    [Fact]
    public async Task SameText_GivesIdenticalBytes()
    {
        Assert.Equal(await SpeakAsync("Kokoro does not sample."), await SpeakAsync("Kokoro does not sample."));
    }

    [Fact]
    public async Task ConcurrentRequests_AllGetTheSameAudio()
    {
        var expected = await SpeakAsync("Many at once.");

        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SpeakAsync("Many at once.")));

        Assert.All(replies, reply => Assert.Equal(expected, reply));
    }

    [Fact]
    public async Task Description_NamingAFolderVoice_ChoosesIt_AndAnyOtherDescriptionTheDefault()
    {
        var byDefault = await SpeakAsync("Hello world.", KokoroRunner.TwoVoices);

        Assert.Equal(byDefault, await SpeakAsync("Hello world.", KokoroRunner.TwoVoices, "af_heart"));
        Assert.Equal(byDefault, await SpeakAsync("Hello world.", KokoroRunner.TwoVoices, "am_nobody"));
        Assert.Equal(byDefault, await SpeakAsync("Hello world.", KokoroRunner.TwoVoices, "A female speaker with a clear voice."));
        Assert.NotEqual(byDefault, await SpeakAsync("Hello world.", KokoroRunner.TwoVoices, "bf_reversed"));
        Assert.Equal(await SpeakAsync("Hello world."), byDefault);
    }

    [Fact]
    public async Task LongText_IsSpokenInPieces_AndJoined()
    {
        // About 2,900 characters: several 400-character chunks, far over 510 phoneme ids in all.
        var sentence = "Kokoro speaks this sentence again, and then it speaks it once more. ";
        var one = SpeechWav.AssertMonoPcm16(await SpeakAsync(sentence), 24_000);
        var many = SpeechWav.AssertMonoPcm16(await SpeakAsync(string.Concat(Enumerable.Repeat(sentence, KokoroRunner.MaxChars / sentence.Length))), 24_000);

        Assert.True(many > 20 * one, $"{many} vs {one} samples");
    }

    [Theory]
    [InlineData(KokoroRunner.MaxChars + 1)]
    [InlineData(100_000)]
    public async Task TextOverTheLimit_Is400NamingTheSetting(int length)
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(new string('a', length)));

        Assert.Equal($"Text input is {length} characters long; this runner speaks at most {KokoroRunner.MaxChars} (RUNNER_TTS_MAX_CHARS).",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    public static TheoryData<string> PronounceableHostileTexts => new()
    {
        "nul\0in\0the\0middle\0",
        "say [[h@loU]] now ]] [[",
        "<speak version=\"1.0\"><break time=\"60s\"/><audio src=\"file:///etc/passwd\"/></speak>",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><speak>&e;</speak>",
        "<phoneme alphabet=\"ipa\" ph=\"wˈɜːld\">hello</phoneme>",
        "$(touch /tmp/tts-pwned) `touch /tmp/tts-pwned`; touch /tmp/tts-pwned && echo | cat > /tmp/tts-pwned",
        "--help",
        "-w /tmp/tts-pwned --stdout -v xx",
        "\u0001 80S \u0001 5A \u001b[31m \u007f \u0085",
        "😀 \uE000 \U0010FFFD ﷽",
    };

    [Theory]
    [MemberData(nameof(PronounceableHostileTexts))]
    public async Task HostileText_IsSpokenAsText_AndTheRouteKeepsServing(string text)
    {
        SpeechWav.AssertMonoPcm16(await SpeakAsync(text), 24_000);

        Assert.False(File.Exists("/tmp/tts-pwned"));
        SpeechWav.AssertMonoPcm16(await SpeakAsync("Still here."), 24_000);
    }

    [Theory]
    [InlineData("\0")]
    [InlineData("\r\n\r\n\t\t")]
    [InlineData("\u0001\u0002\uE000")]
    public async Task TextWithNothingToPronounce_Is400(string text)
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(text));

        Assert.Equal(NothingToSay, await response.ReadErrorAsync(HttpStatusCode.BadRequest));
        SpeechWav.AssertMonoPcm16(await SpeakAsync("Still here."), 24_000);
    }

    [Fact]
    public async Task SsmlMarkup_IsReadAsWords_NotObeyed()
    {
        // Obeyed, <break time="60s"/> would be a minute of silence and <phoneme> would say "world".
        var markup = SpeechWav.AssertMonoPcm16(await SpeakAsync("<speak>hi <break time=\"60s\"/> there</speak>"), 24_000);
        var words = SpeechWav.AssertMonoPcm16(await SpeakAsync("hi there"), 24_000);

        Assert.InRange(markup, 2 * words, 60 * 24_000 / 2);
    }
}
