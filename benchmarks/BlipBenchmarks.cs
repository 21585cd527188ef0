using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Captioning;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Image-to-text on the tiny BLIP fixture: BlipImageProcessor on a 1024² photo (PIL bicubic down to 384², then
/// rescale and normalise), and the engine's encoder plus a 20-token greedy caption (the fixture's max_length) from an
/// image already 384², so that only the normalisation precedes the graphs.
/// </summary>
[MemoryDiagnoser]
public class BlipBenchmarks
{
    private BlipModel _model = null!;
    private RgbImage _photo1024 = null!;
    private RgbImage _image384 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var astronaut = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "astronaut.png")), 1L << 24);
        _photo1024 = PilResize.Resize(astronaut, 1024, 1024);
        _image384 = PilResize.Resize(astronaut, 384, 384);
        var sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        _model = BlipModel.Load("blip", TestPaths.Model("tiny", "blip"), sessions);
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public float[] Preprocess1024Photo() => _model.Processor.Process(_photo1024);

    [Benchmark]
    public Task<string> EncodeAndCaption20Tokens() => _model.CaptionAsync(_image384, "", CancellationToken.None);
}
