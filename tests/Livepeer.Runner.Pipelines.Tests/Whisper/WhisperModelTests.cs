using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>
/// The engine on the tiny Whisper fixtures (random weights, real special ids): the mechanics of prompting, caching,
/// suppression, stopping and long audio. The text means nothing, so no test asserts it.
/// </summary>
public sealed class WhisperModelTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    /// <summary>jfk.wav's samples (the other Whisper tests use it too).</summary>
    internal static readonly Lazy<float[]> Jfk = new(() => AudioFiles.ReadWav(AudioFiles.JfkWav));

    /// <summary>A tiny Whisper fixture on the CPU, with the merged decoder or the split pair.</summary>
    internal static WhisperModel Load(string fixture, bool merged = true) =>
        WhisperModel.Load(fixture, TestPaths.Model("tiny", fixture), Sessions, merged);

    /// <summary>About 95 s of real speech: the LibriVox and JFK clips repeated.</summary>
    private static float[] LongSpeech()
    {
        var clips = new[] { AudioFiles.JfkWav }
            .Concat(Directory.GetFiles(TestPaths.Asset("speech", "librivox"), "*.wav").Order())
            .Select(AudioFiles.ReadWav)
            .ToArray();
        var samples = new List<float>();
        for (var i = 0; samples.Count < 95 * 16_000; i++)
            samples.AddRange(clips[i % clips.Length]);
        return [.. samples.Take(95 * 16_000)];
    }

    [Theory]
    [InlineData("whisper-tiny", 80)]
    [InlineData("whisper-large-v3", 128)]
    public void Load_ReadsMelBinsAndPrefersTheMergedDecoder(string fixture, int melBins)
    {
        using var model = Load(fixture);

        Assert.Equal(melBins, model.Config.MelBins);
        Assert.True(model.UsesMergedDecoder);
        Assert.Equal(WhisperModel.MaxBatch, model.BatchSize); // the fixtures' batch axis is dynamic
    }

    [Fact]
    public async Task Load_TheOnnxCommunityLayout_ReadsTheGraphsUnderOnnx()
    {
        // onnx-community / transformers.js repos keep the graphs under onnx/ and the configs at the top.
        var source = TestPaths.Model("tiny", "whisper-tiny");
        var folder = Directory.CreateTempSubdirectory("whisper-onnx-layout-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "onnx"));
            foreach (var file in Directory.EnumerateFiles(source))
                File.Copy(file, Path.Combine(folder, file.EndsWith(".onnx", StringComparison.Ordinal) ? "onnx" : "", Path.GetFileName(file)));
            using var model = WhisperModel.Load("whisper-tiny", folder, Sessions);

            var windows = await model.DecodeWindowsAsync(Jfk.Value, new TranscriptionOptions(ReturnTimestamps: false), CancellationToken.None);

            Assert.True(model.UsesMergedDecoder);
            Assert.Equal([50258, 50259, 50359, 50363], Assert.Single(windows).Prompt);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Prompt_TinyWithoutTimestamps_IsForcedFromGenerationConfig()
    {
        using var model = Load("whisper-tiny");

        var windows = await model.DecodeWindowsAsync(Jfk.Value, new TranscriptionOptions(ReturnTimestamps: false), CancellationToken.None);

        // sot, <|en|> (forced_decoder_ids), <|transcribe|>, <|notimestamps|>: the real whisper-tiny ids.
        Assert.Equal([50258, 50259, 50359, 50363], Assert.Single(windows).Prompt);
    }

    [Fact]
    public async Task Prompt_LargeV3WithTimestampsAndTranslate_UsesItsShiftedIds()
    {
        using var model = Load("whisper-large-v3");

        var windows = await model.DecodeWindowsAsync(Jfk.Value, new TranscriptionOptions(ReturnTimestamps: true, Language: "fr", Task: "translate"), CancellationToken.None);

        Assert.Equal([50258, 50265, 50359], Assert.Single(windows).Prompt);
    }

    [Fact]
    public async Task Prompt_LargeV3WithoutLanguage_DetectsOneOfItsLanguages()
    {
        using var model = Load("whisper-large-v3");

        var prompt = Assert.Single(await model.DecodeWindowsAsync(Jfk.Value, new TranscriptionOptions(ReturnTimestamps: false), CancellationToken.None)).Prompt;

        Assert.Equal(4, prompt.Count);
        Assert.Contains(prompt[1], model.Config.LanguageToId.Values);
        Assert.Equal([50258, prompt[1], 50360, 50364], prompt);
    }

    [Fact]
    public async Task UnknownLanguage_IsBadInput()
    {
        using var model = Load("whisper-tiny");

        await Assert.ThrowsAsync<BadInputException>(() => model.TranscribeAsync(Jfk.Value, new TranscriptionOptions(Language: "xx"), CancellationToken.None));
    }

    [Theory]
    [InlineData("whisper-tiny", false)]
    [InlineData("whisper-tiny", true)]
    [InlineData("whisper-large-v3", false)]
    [InlineData("whisper-large-v3", true)]
    public async Task MergedAndSplitDecoders_GenerateTheSameIds(string fixture, bool timestamps)
    {
        using var merged = Load(fixture, merged: true);
        using var split = Load(fixture, merged: false);
        var options = new TranscriptionOptions(ReturnTimestamps: timestamps, Language: "en", MaxNewTokens: 40);

        var a = await merged.DecodeWindowsAsync(Jfk.Value, options, CancellationToken.None);
        var b = await split.DecodeWindowsAsync(Jfk.Value, options, CancellationToken.None);

        Assert.False(split.UsesMergedDecoder);
        Assert.NotEmpty(a[0].Generated);
        Assert.Equal(a[0].Generated, b[0].Generated);
    }

    [Theory]
    [InlineData("whisper-tiny", false)]
    [InlineData("whisper-tiny", true)]
    [InlineData("whisper-large-v3", true)]
    public async Task Generation_HonoursSuppressListsAndNeverEmitsPromptTokens(string fixture, bool timestamps)
    {
        using var model = Load(fixture);
        var config = model.Config;

        var windows = await model.DecodeWindowsAsync(LongSpeech(), new TranscriptionOptions(timestamps, "en", MaxNewTokens: 60), CancellationToken.None);

        foreach (var generated in windows.Select(w => w.Generated))
        {
            Assert.DoesNotContain(generated[0], config.BeginSuppressTokens);
            Assert.All(generated, id => Assert.DoesNotContain(id, config.SuppressTokens));
            Assert.All(generated, id => Assert.False(id >= config.DecoderStartTokenId && id <= config.NoTimestampsTokenId, $"prompt-only token {id}"));
            if (!timestamps)
                Assert.All(generated, id => Assert.True(id < config.TimestampBegin, $"timestamp {id} without timestamps"));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(128)]
    public async Task Generation_StopsAtEndOfTextOrTheMaximum(int maxNewTokens)
    {
        using var model = Load("whisper-tiny");
        var eos = model.Config.EosTokenId;

        var windows = await model.DecodeWindowsAsync(LongSpeech(), new TranscriptionOptions(false, MaxNewTokens: maxNewTokens), CancellationToken.None);

        foreach (var generated in windows.Select(w => w.Generated))
        {
            Assert.InRange(generated.Count, 1, maxNewTokens);
            Assert.DoesNotContain(eos, generated.Take(generated.Count - 1));
            Assert.True(generated[^1] == eos || generated.Count == maxNewTokens, $"stopped after {generated.Count} without eot");
        }
    }

    [Fact]
    public async Task Timestamps_StartWithAnEarlyTimestampAndNeverGoBack()
    {
        using var model = Load("whisper-tiny");
        var config = model.Config;

        var windows = await model.DecodeWindowsAsync(LongSpeech(), new TranscriptionOptions(true, "en", MaxNewTokens: 100), CancellationToken.None);

        foreach (var generated in windows.Select(w => w.Generated))
        {
            Assert.InRange(generated[0], config.TimestampBegin, config.TimestampBegin + config.MaxInitialTimestampIndex!.Value);
            var stamps = generated.Where(id => id >= config.TimestampBegin).ToList();
            Assert.Equal(stamps.Order(), stamps);
        }
    }

    [Fact]
    public async Task LongAudio_IsCutIntoContiguousWindowsWithOffsetTimestamps()
    {
        using var model = Load("whisper-tiny");
        var samples = LongSpeech();
        var tb = model.Config.TimestampBegin;

        var windows = await model.DecodeWindowsAsync(samples, new TranscriptionOptions(true, "en", MaxNewTokens: 100), CancellationToken.None);
        var transcription = await model.TranscribeAsync(samples, new TranscriptionOptions(true, "en", MaxNewTokens: 100), CancellationToken.None);

        Assert.InRange(windows.Count, 4, 5);
        Assert.Equal(0, windows[0].StartSample);
        for (var i = 1; i < windows.Count; i++)
            Assert.Equal(windows[i - 1].StartSample + windows[i - 1].Samples, windows[i].StartSample);
        Assert.Equal(samples.Length, windows[^1].StartSample + windows[^1].Samples);
        Assert.All(windows, w => Assert.InRange(w.Samples, 1, LogMelSpectrogram.WindowSamples));

        // Chunks are in file time: monotonic, inside the audio, and the later windows' chunks start after their offsets.
        var duration = samples.Length / 16_000.0;
        Assert.Contains(transcription.Chunks, c => c.Start >= windows[1].StartSeconds); // chunks from later windows exist
        var previous = 0.0;
        foreach (var chunk in transcription.Chunks)
        {
            Assert.InRange(chunk.Start, previous, duration);
            Assert.InRange(chunk.End ?? duration, chunk.Start, duration);
            previous = chunk.Start;
        }

        foreach (var window in windows.Skip(1))
        {
            var firstStamp = window.Generated[0];
            var expectedStart = window.StartSeconds + ((firstStamp - tb) * 0.02);
            var chunk = transcription.Chunks.FirstOrDefault(c => c.Start >= window.StartSeconds - 1e-9 && c.Start < window.EndSeconds);
            if (chunk is not null)
                Assert.True(chunk.Start >= window.StartSeconds, $"chunk at {chunk.Start} before window offset {window.StartSeconds}");
            Assert.True(expectedStart >= window.StartSeconds);
        }
    }

    [Fact]
    public async Task BatchedWindows_DecodeAsEachWindowAlone()
    {
        using var model = Load("whisper-tiny");
        var samples = LongSpeech();
        var options = new TranscriptionOptions(false, "en", MaxNewTokens: 30);

        var batched = await model.DecodeWindowsAsync(samples, options, CancellationToken.None);
        var second = batched[1];
        var alone = await model.DecodeWindowsAsync(samples[second.StartSample..(second.StartSample + second.Samples)], options, CancellationToken.None);

        Assert.Equal(second.Generated, Assert.Single(alone).Generated);
    }

    [Fact]
    public async Task Transcribe_SilentAudio_ReturnsTheContractShape()
    {
        using var model = Load("whisper-large-v3");

        var result = await model.TranscribeAsync(new float[16_000 * 3], new TranscriptionOptions(true, MaxNewTokens: 20), CancellationToken.None);

        Assert.NotNull(result.Text);
        Assert.All(result.Chunks, c => Assert.InRange(c.Start, 0, 3.0));
        Assert.Equal(result.Text, string.Concat(result.Chunks.Select(c => c.Text)));
    }

    [Fact]
    public async Task Transcribe_WithoutTimestamps_HasNoChunks()
    {
        using var model = Load("whisper-tiny");

        var result = await model.TranscribeAsync(Jfk.Value, new TranscriptionOptions(false, MaxNewTokens: 20), CancellationToken.None);

        Assert.Empty(result.Chunks);
    }

    [Fact]
    public async Task Transcribe_CancelledToken_Throws()
    {
        using var model = Load("whisper-tiny");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => model.TranscribeAsync(Jfk.Value, new TranscriptionOptions(), cancelled.Token));
    }
}
