using System.Net;
using System.Text.Json;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Parler;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The tiny Parler-TTS fixture behind /text-to-speech, as a copy with <c>max_length</c> <see cref="MaxLength"/>
/// (<see cref="ParlerFixtureCopy"/>): its random weights rarely end a run early, and 40 columns keep each request short.
/// </summary>
public sealed class ParlerSpeechRunner : ConfiguredRunner
{
    public const string ModelId = "parler-tts/parler-tts-large-v1";
    public const int MaxLength = 40;

    private string? _folder;

    public string Folder => _folder ??= new ParlerFixtureCopy(MaxLength, TempFolder).Folder;

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-speech", model_id = ModelId, warm = true, path = Folder },
    ];
}

public sealed class ParlerSpeechRouteTests(ParlerSpeechRunner runner) : IClassFixture<ParlerSpeechRunner>
{
    private const int FramesAtMost = ParlerSpeechRunner.MaxLength - 9;

    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent Body(string text, long? seed = null, string? description = null) =>
        Requests.Json(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["text"] = text,
            ["model_id"] = ParlerSpeechRunner.ModelId,
            ["seed"] = seed,
            ["description"] = description ?? "a female speaker with a slightly fast pace",
        }.Where(p => p.Value is not null).ToDictionary()));

    private async Task<byte[]> SpeakAsync(string text, long? seed = null, string? description = null)
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(text, seed, description));
        return SpeechWav.Decode(await response.ReadValidJsonAsync(HttpStatusCode.OK, "AudioResponse"));
    }

    /// <summary>44.1 kHz: the codec's rate from config.json.</summary>
    private static int AssertWav44100(byte[] wav) => SpeechWav.AssertMonoPcm16(wav, 44_100);

    [Fact]
    public async Task Text_IsA44100MonoPcm16Wav_OfWholeDacFrames_AtMostMaxLength()
    {
        var samples = AssertWav44100(await SpeakAsync("hello world", seed: 1));

        Assert.Equal(0, samples % 512);
        Assert.InRange(samples / 512, 1, FramesAtMost);
    }

    [Fact]
    public async Task SameSeed_GivesTheSameBytes_AnotherSeedOthers()
    {
        var first = await SpeakAsync("how are you today", seed: 42);
        var again = await SpeakAsync("how are you today", seed: 42);
        var other = await SpeakAsync("how are you today", seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task LongText_IsSpokenInSentenceGroups_AndJoined()
    {
        var text = string.Concat(Enumerable.Repeat("hello world, how are you today. ", 40)); // 1,280 characters
        var wav = await SpeakAsync(text, seed: 5);

        // The same request on a voice of its own: one decoder run per group, joined, is what the route wrote.
        using var voice = ParlerTtsVoice.Load("direct", runner.Folder, new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }));
        var parts = voice.SpeakChunks(new SpeechRequest(text, "a female speaker with a slightly fast pace", 5), CancellationToken.None);

        Assert.Equal(3, parts.Count);
        Assert.Equal(WavWriter.Mono16(MonoAudio.Join(parts, TimeSpan.Zero)), wav);
        Assert.Equal(parts.Sum(p => p.Samples.Length), AssertWav44100(wav));
    }

    [Fact]
    public async Task TextOverTheLimit_Is400BeforeTheModelRuns()
    {
        using var response = await _client.PostAsync("/text-to-speech", Body(new string('a', 100_000)));

        Assert.Equal("Text input is 100000 characters long; this runner speaks at most 5000 (RUNNER_TTS_MAX_CHARS).",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task DescriptionOverTheTokenLimit_Is400()
    {
        using var response = await _client.PostAsync("/text-to-speech", Body("hello", description: string.Join(' ', Enumerable.Repeat("voice", 600))));

        Assert.Equal($"The description is 601 tokens long; {ParlerSpeechRunner.ModelId} takes at most 512.",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    public static TheoryData<string, string?> HostileTexts => new()
    {
        { "nul\0in\0the\0middle\0", null },
        { "\0", null },
        { "<speak version=\"1.0\"><break time=\"60s\"/><audio src=\"file:///etc/passwd\"/></speak>", null },
        { "</s><pad><unk> end tokens as text", null },
        { "\u0001 80S \u0001 5A \u001b[31m \u007f \u0085", null },
        { "\r\n\r\n\t\t", null },
        { "😀 \uE000 \U0010FFFD ﷽", null },
        { "hello", "<speak>\0</s>\u001b[31m</speak>" },
        { "hello", "" },
    };

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public async Task HostileTextOrDescription_IsSpokenAsText_AndTheRouteKeepsServing(string text, string? description)
    {
        var samples = AssertWav44100(await SpeakAsync(text, seed: 9, description: description));

        Assert.Equal(0, samples % 512);
        AssertWav44100(await SpeakAsync("still here"));
    }

    [Fact]
    public async Task ConcurrentRequests_OnOneModel_EachGetTheirSeedsAudio()
    {
        long[] seeds = [11, 12, 13, 14];
        var alone = new List<byte[]>();
        foreach (var seed in seeds)
            alone.Add(await SpeakAsync("hello world", seed));

        var together = await Task.WhenAll(seeds.Select(seed => SpeakAsync("hello world", seed)));

        Assert.Equal(alone, together);
    }
}
