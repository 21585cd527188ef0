using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>Silero VAD v5 against the manifest's robust assertions (G-VAD), and the faster-whisper-style filter.</summary>
public sealed class SileroVadTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    private static SileroVad Load() => SileroVad.Load(TestPaths.Asset("vad", "silero_vad_v5.onnx"), Sessions);

    private static string Librivox(string id) => TestPaths.Asset("speech", "librivox", $"sense_and_sensibility_01_austen_64kb-{id}.wav");

    [Theory]
    [InlineData("0870", 221)]
    [InlineData("0880", 93)]
    [InlineData("0930", 102)]
    public void Probabilities_OfReadSpeech_AreMostlySpeech(string clip, int frames)
    {
        using var vad = Load();

        var p = vad.Probabilities(AudioFiles.ReadWav(Librivox(clip)), CancellationToken.None);

        Assert.Equal(frames, p.Length);
        Assert.True(p.Max() > 0.9f);
        Assert.True(p.Count(x => x > 0.5f) > frames / 2);
    }

    [Fact]
    public void Probabilities_Of0880_FindTheLeadingSilenceAndTheOnset()
    {
        using var vad = Load();

        var p = vad.Probabilities(AudioFiles.ReadWav(Librivox("0880")), CancellationToken.None);

        Assert.All(p[..8], x => Assert.True(x < 0.05f, $"{x}"));
        Assert.True(p[8] > 0.5f, $"{p[8]}");
    }

    [Fact]
    public void Probabilities_Of0880_MatchTheManifestsFirstTenFrames()
    {
        using var vad = Load();
        float[] expected = [0.0375f, 0.0174f, 0.0061f, 0.0049f, 0.0031f, 0.0025f, 0.0022f, 0.0064f, 0.8666f, 0.9773f];

        var p = vad.Probabilities(AudioFiles.ReadWav(Librivox("0880")), CancellationToken.None);

        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(p[i] - expected[i]) < 1e-3, $"frame {i}: {p[i]} vs {expected[i]}");
    }

    [Fact]
    public void Probabilities_OfSilence_StayLow()
    {
        using var vad = Load();

        Assert.True(vad.Probabilities(new float[16_000], CancellationToken.None).Max() < 0.05f);
    }

    [Fact]
    public void SpeechSpans_SplitOnLongSilenceAndPad()
    {
        // 1 s speech, 3 s silence, 1 s speech, in 512-sample frames.
        var frames = Enumerable.Repeat(0.9f, 31).Concat(Enumerable.Repeat(0.01f, 94)).Concat(Enumerable.Repeat(0.9f, 31)).ToArray();

        var spans = VadFilter.SpeechSpans(frames, frames.Length * 512, new VadOptions());

        Assert.Equal(2, spans.Count);
        Assert.Equal(0, spans[0].Start);
        Assert.Equal((31 * 512) + 6400, spans[0].End);
        Assert.Equal((125 * 512) - 6400, spans[1].Start);
        Assert.Equal(frames.Length * 512, spans[1].End);
    }

    [Fact]
    public void ToOriginal_MapsJoinedTimeBackAcrossTheGap()
    {
        VadFilter.Span[] speech = [new(16_000, 32_000), new(80_000, 96_000)];

        Assert.Equal(1.5, VadFilter.ToOriginal(speech, 0.5, isEnd: false));
        Assert.Equal(2.0, VadFilter.ToOriginal(speech, 1.0, isEnd: true));
        Assert.Equal(5.0, VadFilter.ToOriginal(speech, 1.0, isEnd: false));
        Assert.Equal(5.5, VadFilter.ToOriginal(speech, 1.5, isEnd: false));
    }

    [Fact]
    public async Task TranscribeSpeechOnly_OfSilence_ReturnsNothing()
    {
        using var vad = Load();
        using var model = WhisperModel.Load("whisper-tiny", TestPaths.Model("tiny", "whisper-tiny"), Sessions);

        var result = await model.TranscribeSpeechOnlyAsync(vad, new float[16_000 * 5], new TranscriptionOptions(), null, CancellationToken.None);

        Assert.Equal("", result.Text);
        Assert.Empty(result.Chunks);
    }

    [Fact]
    public async Task TranscribeSpeechOnly_WithLeadingSilence_KeepsChunksInFileTime()
    {
        using var vad = Load();
        using var model = WhisperModel.Load("whisper-tiny", TestPaths.Model("tiny", "whisper-tiny"), Sessions);
        var speech = AudioFiles.ReadWav(Librivox("0870"));
        var samples = new float[(10 * 16_000) + speech.Length]; // 10 s of silence first
        speech.CopyTo(samples, 10 * 16_000);

        var result = await model.TranscribeSpeechOnlyAsync(vad, samples, new TranscriptionOptions(true, "en", MaxNewTokens: 40), null, CancellationToken.None);

        Assert.All(result.Chunks, c => Assert.InRange(c.Start, 9.5, samples.Length / 16_000.0));
    }
}
