using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the tiny <c>_timestamped</c> Whisper export (graphs under onnx/, cross-attention outputs).</summary>
public sealed class TimestampedWhisperRunner : ConfiguredRunner
{
    public const string Model = "onnx-community/whisper-tiny_timestamped";

    protected override IEnumerable<object> Models() =>
        [new { pipeline = "audio-to-text", model_id = Model, warm = true, path = TestPaths.Model("tiny", "whisper-tiny-timestamped") }];
}

/// <summary>/audio-to-text with <c>return_timestamps=word</c>: one chunk per word, in file time, or the contract's 400s.</summary>
public sealed class WordTimestampRouteTests(TimestampedWhisperRunner runner) : IClassFixture<TimestampedWhisperRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static byte[] Jfk => File.ReadAllBytes(TestPaths.Asset("speech", "jfk.wav"));

    [Fact]
    public async Task Words_AreChunksInOrderInsideTheFile_ThatSpellTheText()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Jfk,
            ("model_id", TimestampedWhisperRunner.Model), ("return_timestamps", "word"), ("metadata", """{"duration":11}""")));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
        var chunks = json.GetProperty("chunks").EnumerateArray().ToList();
        Assert.True(chunks.Count > 3, $"expected one chunk per word, got {chunks.Count}");
        var previousEnd = 0.0;
        foreach (var chunk in chunks)
        {
            var timestamp = chunk.GetProperty("timestamp");
            Assert.Equal(2, timestamp.GetArrayLength());
            var (start, end) = (timestamp[0].GetDouble(), timestamp[1].GetDouble());
            Assert.InRange(start, previousEnd, 11.0);
            Assert.InRange(end, start, 11.0);
            previousEnd = end;
        }

        Assert.Equal(json.GetProperty("text").GetString(), string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
    }

    [Fact]
    public async Task SegmentTimestamps_OnTheSameModel_AreFewerChunksOfTheSameText()
    {
        async Task<JsonElement> Transcribe(string mode)
        {
            using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Jfk, ("return_timestamps", mode)));
            return await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
        }

        var words = await Transcribe("word");
        var segments = await Transcribe("true");

        Assert.Equal(segments.GetProperty("text").GetString(), words.GetProperty("text").GetString());
        Assert.True(words.GetProperty("chunks").GetArrayLength() > segments.GetProperty("chunks").GetArrayLength());
    }

    [Fact]
    public async Task Words_OnADeclaredHourAndASecond_AreTheContracts400()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Jfk,
            ("model_id", TimestampedWhisperRunner.Model), ("return_timestamps", "word"), ("metadata", """{"duration":"3601"}""")));

        Assert.Equal("Word timestamps are only supported for audio files up to 60 minutes for model onnx-community/whisper-tiny_timestamped.",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Words_OnAudioOverAnHour_AreTheContracts400()
    {
        var hour = await AudioToTextRouteTests.ConvertAsync(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"], "flac", "-t", "3601");

        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", hour, ("return_timestamps", "word")));

        Assert.Equal(WordTimestampLimits.TooLong(TimestampedWhisperRunner.Model), await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}
