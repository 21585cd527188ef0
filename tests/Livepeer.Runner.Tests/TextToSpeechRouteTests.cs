using System.Net;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>
/// /text-to-speech with the installed espeak-ng: a warm en-us voice and, not warm, a voice espeak-ng does not have;
/// RUNNER_TTS_MAX_CHARS below its default, so the setting is seen to reach the route.
/// </summary>
public sealed class SpeechRunner : ConfiguredRunner
{
    public const int MaxChars = 2000;

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-speech", model_id = "espeak-ng/en-us", warm = true },
        new { pipeline = "text-to-speech", model_id = "espeak-ng/xx-nothing", warm = false },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
        [("RUNNER_TTS_MAX_CHARS", MaxChars.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

public sealed class TextToSpeechRouteTests(SpeechRunner runner) : IClassFixture<SpeechRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent Body(string text, string modelId = "") => Requests.Json(JsonSerializer.Serialize(new { text, model_id = modelId }));

    private async Task<byte[]> SpeakAsync(string text, string route = "/text-to-speech")
    {
        using var response = await _client.PostAsync(route, Body(text));
        return DecodeWav(await response.ReadJsonAsync(HttpStatusCode.OK));
    }

    private static byte[] DecodeWav(JsonElement json) => SpeechWav.Decode(json);

    private static int AssertMonoPcm16Wav(byte[] wav) => SpeechWav.AssertMonoPcm16(wav, 22_050);

    [Fact]
    public async Task Text_IsSpokenAsAMonoPcm16Wav_ThatGrowsWithTheText()
    {
        var hello = AssertMonoPcm16Wav(await SpeakAsync("Hello world."));
        var longer = AssertMonoPcm16Wav(await SpeakAsync("Hello world. The quick brown fox jumps over the lazy dog, twice over."));

        Assert.InRange(hello, 22_050 / 2, 22_050 * 3);
        Assert.True(longer > 2 * hello, $"{longer} vs {hello} samples");
    }

    [Fact]
    public async Task SameText_GivesIdenticalBytes_OnEitherRouteSpelling()
    {
        var first = await SpeakAsync("Livepeer speaks.");
        var second = await SpeakAsync("Livepeer speaks.", "/text-to-speech/");

        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(SpeechRunner.MaxChars + 1)]
    [InlineData(100_000)]
    public async Task TextOverTheLimit_Is400NamingTheSetting(int length)
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(new string('a', length)));

        Assert.Equal($"Text input is {length} characters long; this runner speaks at most {SpeechRunner.MaxChars} (RUNNER_TTS_MAX_CHARS).",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task TextAtTheLimit_IsSpoken()
    {
        AssertMonoPcm16Wav(await SpeakAsync(string.Concat(Enumerable.Repeat("Words. ", SpeechRunner.MaxChars / 7 + 1))[..SpeechRunner.MaxChars]));
    }

    public static TheoryData<string> HostileTexts => new()
    {
        "nul\0in\0the\0middle\0",
        "\0",
        "say [[h@loU]] now ]] [[",
        "<speak version=\"1.0\"><break time=\"60s\"/><audio src=\"file:///etc/passwd\"/></speak>",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><speak>&e;</speak>",
        "$(touch /tmp/tts-pwned) `touch /tmp/tts-pwned`; touch /tmp/tts-pwned && echo | cat > /tmp/tts-pwned",
        "--help",
        "-w /tmp/tts-pwned --stdout -v xx",
        "\u0001 80S \u0001 5A \u001b[31m \u007f \u0085",
        "\r\n\r\n\t\t",
        "😀 \uE000 \U0010FFFD ﷽",
    };

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public async Task HostileText_IsSpokenAsText_AndTheRouteKeepsServing(string text)
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(text));
        AssertMonoPcm16Wav(DecodeWav(await response.ReadJsonAsync(HttpStatusCode.OK)));

        Assert.False(File.Exists("/tmp/tts-pwned"));
        AssertMonoPcm16Wav(await SpeakAsync("Still here."));
    }

    [Fact]
    public async Task LoneSurrogateEscape_Is422StringUnicode_AndTheRouteKeepsServing()
    {
        // Valid JSON, but no string .NET can hold.
        using var response = await _client.PostAsync("/text-to-speech", Requests.Json("""{"text":"broken \ud800 pair \udc00"}"""));

        Assert.Equal([("string_unicode", "body.text", "Input should be a valid string, unable to parse raw data as a unicode string")], await response.ReadValidationAsync());
        AssertMonoPcm16Wav(await SpeakAsync("Still here."));
    }

    [Fact]
    public async Task UnknownVoice_Is500NamingIt()
    {
        using var response = await _client.PostAsync("/text-to-speech", Body("Hello.", "espeak-ng/xx-nothing"));

        var message = await response.ReadErrorAsync(HttpStatusCode.InternalServerError);
        Assert.Contains("'xx-nothing'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HardwareInfo_ListsTheSpeechEngineWithItsPrerequisite()
    {
        using var response = await _client.GetAsync("/hardware/info");
        var engine = (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("engines").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "espeak-ng");

        Assert.Equal(["text-to-speech"], engine.GetProperty("pipelines").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["espeak-ng"], engine.GetProperty("prerequisites").EnumerateArray().Select(p => p.GetString()));
    }
}

/// <summary>The repository's default configuration file itself (models/aiModels.json), as the README's quick start runs it.</summary>
public sealed class DefaultConfigurationRunner : IAsyncLifetime
{
    public RunnerHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Host = await RunnerHost.StartAsync(new Dictionary<string, string>
        {
            ["MODELS_CONFIG"] = TestPaths.Model("aiModels.json"),
            ["RUNNER_EXECUTION_PROVIDER"] = "cpu",
        });

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

public sealed class DefaultConfigurationTests(DefaultConfigurationRunner runner) : IClassFixture<DefaultConfigurationRunner>
{
    [Fact]
    public async Task DefaultConfiguration_ServesTextToSpeech()
    {
        using var client = runner.Host.CreateClient();
        using var response = await client.PostAsync("/text-to-speech", Requests.Json("""{"text":"Hello from the default configuration."}"""));

        var url = (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("audio").GetProperty("url").GetString()!;
        Assert.StartsWith("data:audio/wav;base64,UklGR", url, StringComparison.Ordinal); // "RIFF"
    }
}
