using System.Net;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the tiny Whisper fixtures (random weights: the text means nothing, the mechanics do).</summary>
public sealed class WhisperRunner : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("whisper-").FullName;

    public RunnerHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var config = Path.Combine(_dir, "aiModels.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new object[]
        {
            new { pipeline = "audio-to-text", model_id = "openai/whisper-large-v3", warm = true, path = TestPaths.Model("tiny", "whisper-large-v3") },
            new { pipeline = "audio-to-text", model_id = "openai/whisper-tiny", warm = false, path = TestPaths.Model("tiny", "whisper-tiny") },
        }));
        Host = await RunnerHost.StartAsync(new Dictionary<string, string> { ["MODELS_CONFIG"] = config, ["RUNNER_EXECUTION_PROVIDER"] = "cpu" });
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>/audio-to-text end to end: real speech files through ffmpeg, log-mel and the Whisper graphs.</summary>
public sealed class AudioToTextRouteTests(WhisperRunner runner) : IClassFixture<WhisperRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static byte[] Asset(params string[] parts) => File.ReadAllBytes(TestPaths.Asset(parts));

    [Theory]
    [InlineData("openai/whisper-large-v3", "speech", "jfk.wav")]
    [InlineData("openai/whisper-tiny", "whisper", "jfk.flac")]
    public async Task Speech_IsTranscribedWithChunksInFileTime(string model, string folder, string file)
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset(folder, file),
            ("model_id", model), ("return_timestamps", "true"), ("metadata", """{"duration":"11"}""")));

        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.String, json.GetProperty("text").ValueKind);
        foreach (var chunk in json.GetProperty("chunks").EnumerateArray())
        {
            var timestamp = chunk.GetProperty("timestamp");
            Assert.Equal(2, timestamp.GetArrayLength());
            var start = timestamp[0].GetDouble();
            Assert.InRange(start, 0, 11.0);
            if (timestamp[1].ValueKind != JsonValueKind.Null)
                Assert.InRange(timestamp[1].GetDouble(), start, 11.0);
            Assert.Equal(JsonValueKind.String, chunk.GetProperty("text").ValueKind);
        }
    }

    [Theory]
    [InlineData("false")]
    [InlineData("0")]
    public async Task TimestampsOff_GiveNoChunks(string value)
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "001.wav"), ("return_timestamps", value)));
        Assert.Empty((await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("chunks").EnumerateArray());
    }

    [Fact]
    public async Task WordTimestamps_AreRefusedPlainly()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "001.wav"), ("return_timestamps", "word")));
        Assert.StartsWith("Word timestamps are not supported", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task UnknownTimestampMode_IsAModelError()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "001.wav"), ("return_timestamps", "chapter")));
        Assert.Equal("Error during model execution: return_timestamps must be true, false, sentence or word, not 'chapter'.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task NotAudio_Is415_AndTheRunnerKeepsServing()
    {
        using var bad = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Requests.Fixture));
        Assert.Equal("Unsupported audio format or malformed file.", await bad.ReadErrorAsync(HttpStatusCode.UnsupportedMediaType));

        using var good = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "002.wav")));
        await good.ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task HlsPlaylistNamingALocalFile_IsRefused()
    {
        var playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"u8.ToArray();
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", playlist));
        Assert.Equal("Unsupported audio format or malformed file.", await response.ReadErrorAsync(HttpStatusCode.UnsupportedMediaType));
    }
}
