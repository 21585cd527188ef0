using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// LoRA adapters on the tiny fixtures: building an adapter set (the fixture LoRA's branch factors), opening the branch
/// sessions every set shares (the UNet's and text encoders' graphs rewritten with a branch beside each patched module),
/// and the 512² loop of <see cref="DiffusionBenchmarks"/> run on a set, to compare with the base model's figure.
/// </summary>
[MemoryDiagnoser]
public class LoraBenchmarks
{
    private OnnxSessionFactory _sessions = null!;
    private DiffusionModel _model = null!;
    private IReadOnlyDictionary<LoraComponent, LoraGraph> _graphs = null!;
    private WeightedAdapter[] _adapters = null!;
    private LoraSet _set = null!;
    private List<LoraBranches> _branches = null!;
    private DiffusionModel _adapted = null!;
    private DiffusionModel _zeroed = null!;
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
        _set = LoraSet.Build(_graphs, _adapters, CancellationToken.None);
        _branches = [.. _set.Components.Select(OpenBranches)];
        _adapted = (DiffusionModel)_model.WithSessions(_branches.ToDictionary(b => b.Component, b => b.For(_set)));
        _zeroed = (DiffusionModel)_model.WithSessions(_branches.ToDictionary(b => b.Component, b => b.For(LoraSet.Empty)));
        _request = new DiffusionRequest(["a photo of a cat"], [""], 512, 512, GuidanceScale: 7.5, Steps: 20);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _branches.ForEach(b => b.Dispose());
        _set.Dispose();
        _model.Dispose();
    }

    private LoraBranches OpenBranches(LoraComponent component) =>
        LoraBranches.Open(Model, _graphs[component], _set.ModulesOf(component), _sessions);

    [Benchmark(Description = "build an adapter set (branch factors)")]
    public long BuildAdapterSet()
    {
        using var set = LoraSet.Build(_graphs, _adapters, CancellationToken.None);
        return set.Bytes;
    }

    [Benchmark(Description = "open the shared branch sessions (rewrite + sessions)")]
    public long OpenBranchSessions()
    {
        var opened = _set.Components.Select(OpenBranches).ToList();
        opened.ForEach(b => b.Dispose());
        return opened.Sum(b => b.Bytes);
    }

    [Benchmark(Description = "t2i 512², 20 steps, CFG, no LoRA on the branch sessions (RUNNER_LORA_SINGLE_COPY)")]
    public RgbImage TextToImageOnZeroBranches()
    {
        using var generator = new DiffusionGenerator(_zeroed, _request, CancellationToken.None);
        return generator.Generate(42, CancellationToken.None);
    }

    [Benchmark(Description = "t2i 512², 20 steps, CFG, on an adapter set")]
    public RgbImage TextToImageWithLora()
    {
        using var generator = new DiffusionGenerator(_adapted, _request, CancellationToken.None);
        return generator.Generate(42, CancellationToken.None);
    }
}
