using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// LoRA adapter sets on the tiny fixtures: building one (merging the fixture LoRA into the UNet's and text encoders'
/// weights and opening those sessions with them), and the 512² loop of <see cref="DiffusionBenchmarks"/> run on a set,
/// to compare with the base model's figure.
/// </summary>
[MemoryDiagnoser]
public class LoraBenchmarks
{
    private OnnxSessionFactory _sessions = null!;
    private DiffusionModel _model = null!;
    private IReadOnlyDictionary<LoraComponent, LoraGraph> _graphs = null!;
    private WeightedAdapter[] _adapters = null!;
    private LoraSet _set = null!;
    private DiffusionRequest _request = null!;

    [Params("sd15", "sdxl")]
    public string Model { get; set; } = "sd15";

    [GlobalSetup]
    public async Task Setup()
    {
        _sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        var folder = TestPaths.Model("tiny", Model);
        _model = await DiffusionModel.LoadAsync(Model, folder, _sessions);
        _graphs = LoraGraph.ReadFolder(folder);
        var index = LoraGraph.Index(_graphs.Values);
        _adapters = [new WeightedAdapter(LoraAdapter.Load(TestPaths.Model("tiny", $"lora-{Model}", "peft", "pytorch_lora_weights.safetensors"), index), 1f)];
        _set = LoraSet.Build(_model, _graphs, _adapters, _sessions, CancellationToken.None);
        _request = new DiffusionRequest(["a photo of a cat"], [""], 512, 512, GuidanceScale: 7.5, Steps: 20);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _set.Dispose();
        _model.Dispose();
    }

    [Benchmark(Description = "build an adapter set (merge + sessions)")]
    public long BuildAdapterSet()
    {
        using var set = LoraSet.Build(_model, _graphs, _adapters, _sessions, CancellationToken.None);
        return set.Bytes;
    }

    [Benchmark(Description = "t2i 512², 20 steps, CFG, on an adapter set")]
    public RgbImage TextToImageWithLora()
    {
        using var generator = new DiffusionGenerator((DiffusionModel)_set.Model, _request, CancellationToken.None);
        return generator.Generate(42, CancellationToken.None);
    }
}
