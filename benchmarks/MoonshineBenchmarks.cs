using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Moonshine;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The real int8 Moonshine tiny (../shared/assets/asr/moonshine-tiny) on the CPU execution provider: jfk.wav (11.0 s,
/// already decoded to 16 kHz samples) to the golden text, encoder plus 27 greedy decoder steps. Real-time factor =
/// mean / 11 s.
/// </summary>
[MemoryDiagnoser]
public class MoonshineBenchmarks
{
    private MoonshineModel _model = null!;
    private float[] _jfk = [];

    [GlobalSetup]
    public async Task Setup()
    {
        var audio = new AudioDecoder(new AudioDecoderOptions());
        await using var wav = File.OpenRead(TestPaths.Asset("speech", "jfk.wav"));
        _jfk = await audio.DecodeAsync(wav, CancellationToken.None);
        _model = MoonshineModel.Load("moonshine-tiny", TestPaths.Asset("asr", "moonshine-tiny"), new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }));
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public Task<Transcription> TranscribeJfk11Seconds() => _model.TranscribeAsync(_jfk, new TranscriptionOptions(ReturnTimestamps: true), CancellationToken.None);
}
