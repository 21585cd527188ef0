using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The audio-to-text path before and around the model: ffmpeg decode + resample of jfk.flac (44.1 kHz stereo
/// 24-bit, 11 s), the log-mel of one 30 s window (80 and 128 bins), planning the windows of 95 s, and the tiny
/// Whisper decoder's prompt pass plus one cached step (merged graph); for word timestamps, the DTW of 200 tokens over a
/// full window's 1500 frames, and the whole alignment of large-v3's 10 alignment heads over the same (normalise, median
/// filter of width 7, mean, DTW; it includes copying the 3M weights it works on in place).
/// </summary>
[MemoryDiagnoser]
public class WhisperBenchmarks
{
    private readonly AudioDecoder _audio = new(new AudioDecoderOptions());
    private readonly LogMelSpectrogram _mel80 = new(80);
    private readonly LogMelSpectrogram _mel128 = new(128);
    private byte[] _flac = [];
    private float[] _thirtySeconds = [];
    private float[] _ninetyFiveSeconds = [];
    private Seq2SeqDecoder _decoder = null!;
    private OrtValue _encoderHidden = null!;
    private long[] _prompt = [];
    private float[] _dtwCost = [];
    private float[] _attentions = [];

    [GlobalSetup]
    public async Task Setup()
    {
        _flac = await File.ReadAllBytesAsync(TestPaths.Asset("whisper", "jfk.flac"));
        var speech = await _audio.DecodeAsync(new MemoryStream(_flac), CancellationToken.None);
        _thirtySeconds = [.. Enumerable.Range(0, LogMelSpectrogram.WindowSamples).Select(i => speech[i % speech.Length])];
        _ninetyFiveSeconds = [.. Enumerable.Range(0, 95 * LogMelSpectrogram.SampleRate).Select(i => speech[i % speech.Length])];

        var directory = TestPaths.Model("tiny", "whisper-tiny");
        var sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        _decoder = Seq2SeqDecoder.Load("whisper-tiny", directory, sessions);
        var config = WhisperConfig.Load(directory);
        var random = new Random(1);
        var dModel = _decoder.Heads * _decoder.HeadDim;
        var hidden = Enumerable.Range(0, 1500 * dModel).Select(_ => (float)random.NextDouble()).ToArray();
        _encoderHidden = OrtValue.CreateTensorValueFromMemory(hidden, [1, 1500, dModel]);
        _prompt = [config.DecoderStartTokenId, config.LanguageToId["<|en|>"], config.TaskToId["transcribe"], config.NoTimestampsTokenId];
        _dtwCost = [.. Enumerable.Range(0, 200 * 1500).Select(_ => (float)random.NextDouble())];
        _attentions = [.. Enumerable.Range(0, 10 * 200 * 1500).Select(_ => (float)random.NextDouble() / 1500)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _encoderHidden.Dispose();
        _decoder.Dispose();
    }

    [Benchmark]
    public Task<float[]> DecodeAndResampleFlac() => _audio.DecodeAsync(new MemoryStream(_flac), CancellationToken.None);

    [Benchmark]
    public float[] LogMel80Of30Seconds() => _mel80.Compute(_thirtySeconds);

    [Benchmark]
    public float[] LogMel128Of30Seconds() => _mel128.Compute(_thirtySeconds);

    [Benchmark]
    public int PlanWindowsOf95Seconds() => WindowPlan.For(_ninetyFiveSeconds).Count;

    [Benchmark]
    public int DtwOf200TokensBy1500Frames() => CrossAttentionAlignment.Dtw(_dtwCost, 200, 1500).Rows.Length;

    [Benchmark]
    public int WordAlignmentOf10HeadsBy200TokensBy1500Frames() =>
        CrossAttentionAlignment.TokenStartFrames([.. _attentions], heads: 10, tokens: 200, frames: 1500, medianWidth: 7)[^1];

    [Benchmark]
    public int TinyDecoderPromptPlusOneStep()
    {
        using var state = _decoder.Start(_encoderHidden, _prompt, 1, CancellationToken.None);
        _decoder.Step(state, _encoderHidden, [220], CancellationToken.None);
        return state.Length;
    }
}
