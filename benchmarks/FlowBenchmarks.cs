using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Flux;
using Livepeer.Runner.Pipelines.Diffusion.Transformers;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The flow-matching transformers on their tiny fixtures (random weights, so the time is the loop's own overhead, the
/// packing and the conversions, plus a very small transformer) at 512²: one transformer step on its bound inputs, and a
/// whole 4-step request (text encoding, the loop, the VAE decode). flux-schnell-bfl is the same model in Black Forest Labs'
/// layout, bfloat16 at the transformer's boundary; sd3 runs two guidance rows a step.
/// </summary>
[MemoryDiagnoser]
public class FlowBenchmarks
{
    private const int Side = 512;
    private TransformerDiffusionModel _model = null!;
    private DiffusionRequest _request = null!;
    private TransformerBinding _step = null!;

    [Params("flux-schnell", "flux-schnell-bfl", "sd3")]
    public string Model { get; set; } = "flux-schnell";

    [GlobalSetup]
    public async Task Setup()
    {
        _model = await TransformerDiffusionModel.LoadAsync(Model, TestPaths.Model("tiny", Model), new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }));
        _request = new DiffusionRequest(["a photo of a cat"], ["blurry"], Side, Side, GuidanceScale: 3.5, Steps: 4);
        var latent = Side / 8;
        var flux = _model.Family == TransformerFamily.Flux;
        long[] shape = flux ? [1, FluxLatents.SequenceLength(latent, latent), 64] : [2, 16, latent, latent];
        // The fixtures' transformers fix their text and pooled widths; the step's inputs are zeros of those shapes.
        _step = new TransformerBinding(_model.Transformer, shape, flux ? _model.T5Length : 77 + _model.T5Length, _model.Transformer.TextWidth,
            _model.Transformer.PooledWidth, flux ? FluxLatents.ImageIds(latent, latent) : null);
        _step.BindConditioning();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _step.Dispose();
        _model.Dispose();
    }

    [Benchmark(Description = "one transformer step, 512²")]
    public float[] TransformerStep()
    {
        _step.Run(0.75f, CancellationToken.None);
        return _step.Output;
    }

    [Benchmark(Description = "t2i 512², 4 steps (encode, loop, decode)")]
    public RgbImage TextToImage()
    {
        using var generator = new FlowGenerator(_model, _request, CancellationToken.None);
        return generator.Generate(42, CancellationToken.None);
    }
}
