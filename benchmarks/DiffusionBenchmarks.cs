using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The whole denoising loop on the tiny SD1.5 fixture (random weights, so the time is the loop's own overhead plus a
/// very small UNet): 20 steps with classifier-free guidance at 512², text encoding and VAE decode included. sd15-fp16
/// is the same model with float16 at every graph boundary, so the difference is the cost of the float16 conversions.
/// </summary>
[MemoryDiagnoser]
public class DiffusionBenchmarks
{
    private DiffusionModel _model = null!;
    private DiffusionRequest _request = null!;

    [Params("sd15", "sd15-fp16")]
    public string Model { get; set; } = "sd15";

    [GlobalSetup]
    public async Task Setup()
    {
        _model = await DiffusionModel.LoadAsync(Model, TestPaths.Model("tiny", Model), new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }));
        _request = new DiffusionRequest(["a photo of a cat"], [""], 512, 512, GuidanceScale: 7.5, Steps: 20);
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark(Description = "t2i 512², 20 steps, CFG (tiny UNet)")]
    public RgbImage TextToImageLoop()
    {
        using var generator = new DiffusionGenerator(_model, _request, CancellationToken.None);
        return generator.Generate(42, CancellationToken.None);
    }
}
