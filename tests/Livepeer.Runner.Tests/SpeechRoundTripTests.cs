using System.Globalization;
using System.Net;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>One runner that speaks (espeak-ng en-us) and listens (the real Moonshine tiny).</summary>
public sealed class SpeechRoundTripRunner : ConfiguredRunner
{
    public const string Moonshine = "UsefulSensors/moonshine-tiny";

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-speech", model_id = "espeak-ng/en-us", warm = true },
        new { pipeline = "audio-to-text", model_id = Moonshine, warm = true, path = TestPaths.Asset("asr", "moonshine-tiny") },
    ];
}

/// <summary>
/// espeak-ng's speech of known sentences, posted back to /audio-to-text (its 22,050 Hz WAV resampled by ffmpeg to
/// Moonshine's 16 kHz) and scored with <see cref="WordErrorRate"/>: the voice says the words, not just sound.
/// </summary>
public sealed class SpeechRoundTripTests(SpeechRoundTripRunner runner, ITestOutputHelper output) : IClassFixture<SpeechRoundTripRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static readonly string[] Sentences =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Please call me tomorrow morning before nine o'clock.",
        "We walked to the park and sat under a large tree.",
    ];

    private async Task<string> SpeakAndHearAsync(string sentence)
    {
        using var spoken = await _client.PostAsync("/text-to-speech", Requests.Json(JsonSerializer.Serialize(new { text = sentence, model_id = "espeak-ng/en-us" })));
        var wav = SpeechWav.Decode(await spoken.ReadJsonAsync(HttpStatusCode.OK));

        using var heard = await _client.PostAsync("/audio-to-text", Requests.Form("audio", wav, [("model_id", SpeechRoundTripRunner.Moonshine), ("return_timestamps", "false")]));
        return (await heard.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("text").GetString()!;
    }

    /// <summary>
    /// Measured with espeak-ng 1.51: 2 errors in 28 words (WER 0.071): "jumped" for "jumps", and "9" for "nine" (the
    /// scorer does not normalise numbers). The bound allows two more errors, as the Moonshine corpus tests do.
    /// </summary>
    [Fact]
    public async Task EspeakSpeech_TranscribedByMoonshine_HasTheWords()
    {
        var pairs = new List<(string Reference, string Hypothesis)>();
        foreach (var sentence in Sentences)
        {
            var text = await SpeakAndHearAsync(sentence);
            pairs.Add((sentence, text));
            output.WriteLine($"{WordErrorRate.Errors(sentence, text)} errors / {WordErrorRate.Words(sentence).Length} words: {text}");
        }

        var errors = pairs.Sum(p => WordErrorRate.Errors(p.Reference, p.Hypothesis));
        output.WriteLine($"{errors} errors, WER {WordErrorRate.Of(pairs).ToString("F3", CultureInfo.InvariantCulture)}");
        Assert.InRange(errors, 0, 4);
    }
}
