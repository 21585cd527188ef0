using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the tiny Whisper fixtures (random weights: the text means nothing, the mechanics do).</summary>
public sealed class WhisperRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "audio-to-text", model_id = "openai/whisper-large-v3", warm = true, path = TestPaths.Model("tiny", "whisper-large-v3") },
        new { pipeline = "audio-to-text", model_id = "openai/whisper-tiny", warm = false, path = TestPaths.Model("tiny", "whisper-tiny") },
    ];
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

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
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

    /// <summary>Real speech converted by ffmpeg into a container go-livepeer may forward.</summary>
    private static Task<byte[]> ConvertAsync(string source, string extension, params string[] output) => ConvertAsync(["-i", source], extension, output);

    /// <summary>Audio made by ffmpeg from <paramref name="input"/> arguments (a file or a lavfi source) into an <paramref name="extension"/> file.</summary>
    internal static async Task<byte[]> ConvertAsync(string[] input, string extension, params string[] output)
    {
        var target = Path.Combine(Directory.CreateTempSubdirectory("a2t-").FullName, "speech." + extension);
        var start = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-nostdin", "-loglevel", "error", .. input, .. output, target])
            start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return await File.ReadAllBytesAsync(target);
    }

    private static void AssertChunksInside(JsonElement json, double duration)
    {
        var previous = 0.0;
        foreach (var chunk in json.GetProperty("chunks").EnumerateArray())
        {
            var timestamp = chunk.GetProperty("timestamp");
            var start = timestamp[0].GetDouble();
            Assert.InRange(start, previous, duration);
            if (timestamp[1].ValueKind != JsonValueKind.Null)
            {
                Assert.InRange(timestamp[1].GetDouble(), start, duration);
                previous = timestamp[1].GetDouble();
            }
        }
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("ogg")]
    [InlineData("m4a")]
    [InlineData("mp4")]
    [InlineData("webm")]
    [InlineData("flac")]
    [InlineData("wav")]
    public async Task EveryListedFormat_IsTranscribed(string extension)
    {
        var audio = await ConvertAsync(TestPaths.Asset("speech", "librivox", "sense_and_sensibility_01_austen_64kb-0870.wav"), extension);

        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", audio, ("model_id", "openai/whisper-tiny")));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
        Assert.Equal(JsonValueKind.String, json.GetProperty("text").ValueKind);
        AssertChunksInside(json, 113_600 / 16_000.0 + 0.05);
    }

    [Fact]
    public async Task SilentAudio_IsAnswered()
    {
        var silence = await ConvertAsync(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"], "wav", "-t", "3");
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", silence));
        AssertChunksInside(await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse"), 3.05);
    }

    [Fact]
    public async Task NinetyFiveSeconds_SpanSeveralWindowsInFileTime()
    {
        var clips = Directory.GetFiles(TestPaths.Asset("speech", "librivox"), "*.wav").Order().ToList();
        var list = Path.Combine(Directory.CreateTempSubdirectory("a2t-long-").FullName, "list.txt");
        await File.WriteAllLinesAsync(list, Enumerable.Repeat(clips, 4).SelectMany(c => c).Select(c => $"file '{c}'"));
        var audio = await ConvertAsync(["-f", "concat", "-safe", "0", "-i", list], "flac", "-t", "95");

        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", audio, ("metadata", """{"duration":"95"}""")));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
        AssertChunksInside(json, 95.05);
        Assert.Contains(json.GetProperty("chunks").EnumerateArray(), c => c.GetProperty("timestamp")[0].GetDouble() >= 30);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("0")]
    public async Task TimestampsOff_GiveNoChunks(string value)
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "001.wav"), ("return_timestamps", value)));
        Assert.Empty((await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse")).GetProperty("chunks").EnumerateArray());
    }

    [Fact]
    public async Task WordTimestamps_OnAnExportWithoutCrossAttentions_AreRefusedPlainly()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "001.wav"),
            ("model_id", "openai/whisper-tiny"), ("return_timestamps", "word")));
        Assert.Equal(WordTimestampLimits.NotSupported("openai/whisper-tiny"), await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task UnknownTimestampMode_IsAModelError()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "001.wav"), ("return_timestamps", "chapter")));
        Assert.Equal("Error during model execution: return_timestamps must be true, false, sentence or word, not 'chapter'.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    public static TheoryData<string> BadUploads => ["empty", "png", "text", "truncated-flac", "oversize"];

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task BadUpload_GetsTheContractsStatus_AndTheRunnerKeepsServing(string kind)
    {
        var flac = Asset("whisper", "jfk.flac");
        var (upload, status, message) = kind switch
        {
            "empty" => (Array.Empty<byte>(), HttpStatusCode.UnsupportedMediaType, "Unsupported audio format or malformed file."),
            "png" => (Requests.Fixture, HttpStatusCode.UnsupportedMediaType, "Unsupported audio format or malformed file."),
            "text" => ("hello, this is not audio"u8.ToArray(), HttpStatusCode.UnsupportedMediaType, "Unsupported audio format or malformed file."),
            "truncated-flac" => (flac[..200], HttpStatusCode.UnsupportedMediaType, "Unsupported audio format or malformed file."),
            _ => (new byte[(50 * 1024 * 1024) + 1], HttpStatusCode.RequestEntityTooLarge, "File size exceeds limit."),
        };

        using var bad = await _client.PostAsync("/audio-to-text", Requests.Form("audio", upload));
        Assert.Equal(message, await bad.ReadErrorAsync(status));

        using var good = await _client.PostAsync("/audio-to-text", Requests.Form("audio", Asset("speech", "cards", "002.wav")));
        await good.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
    }

    [Fact]
    public async Task HlsPlaylistNamingALocalFile_IsRefused()
    {
        var playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"u8.ToArray();
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", playlist));
        Assert.Equal("Unsupported audio format or malformed file.", await response.ReadErrorAsync(HttpStatusCode.UnsupportedMediaType));
    }
}

/// <summary>The same tiny Whisper with RUNNER_VAD_MODEL set to the real Silero VAD v5 (../shared/assets/vad).</summary>
public sealed class VadWhisperRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
        [new { pipeline = "audio-to-text", model_id = "openai/whisper-tiny", warm = true, path = TestPaths.Model("tiny", "whisper-tiny") }];

    protected override IEnumerable<(string Name, string Value)> Settings() => [("RUNNER_VAD_MODEL", TestPaths.Asset("vad", "silero_vad_v5.onnx"))];
}

public sealed class VadFilterRouteTests(VadWhisperRunner runner) : IClassFixture<VadWhisperRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    [Fact]
    public async Task Silence_HasNoSpeechToTranscribe()
    {
        var silence = new byte[44 + (16_000 * 2 * 3)];
        WriteWavHeader(silence, 16_000 * 3);

        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", silence));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
        Assert.Equal("", json.GetProperty("text").GetString());
        Assert.Empty(json.GetProperty("chunks").EnumerateArray());
    }

    [Fact]
    public async Task Speech_IsTranscribedWithChunksInsideTheFile()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", File.ReadAllBytes(TestPaths.Asset("speech", "jfk.wav"))));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "TextResponse");
        foreach (var chunk in json.GetProperty("chunks").EnumerateArray())
            Assert.InRange(chunk.GetProperty("timestamp")[0].GetDouble(), 0, 11.0);
    }

    /// <summary>A 16 kHz mono 16-bit RIFF header for <paramref name="samples"/> samples of silence.</summary>
    private static void WriteWavHeader(byte[] wav, int samples)
    {
        void Text(int at, string text) => System.Text.Encoding.ASCII.GetBytes(text).CopyTo(wav, at);
        void Int(int at, int value) => BitConverter.GetBytes(value).CopyTo(wav, at);
        void Short(int at, short value) => BitConverter.GetBytes(value).CopyTo(wav, at);
        Text(0, "RIFF");
        Int(4, 36 + (samples * 2));
        Text(8, "WAVEfmt ");
        Int(16, 16);
        Short(20, 1);
        Short(22, 1);
        Int(24, 16_000);
        Int(28, 32_000);
        Short(32, 2);
        Short(34, 16);
        Text(36, "data");
        Int(40, samples * 2);
    }
}
