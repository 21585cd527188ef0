using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Livepeer.Runner.Benchmarks;

/// <summary>The model manager's hot path (a warm acquire + release) and a cold load of the real ESRGAN-slim x4.</summary>
[MemoryDiagnoser]
public class ModelManagerBenchmarks
{
    private static readonly ModelEntry X4 = new("upscale", "upscalerjs/esrgan-slim-x4", Warm: true, TestPaths.Model("esrgan-slim", "x4"));

    private PipelineModelLoader _loader = null!;
    private ModelManager _manager = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var settings = new RunnerSettings { ExecutionProvider = "cpu" };
        _loader = new PipelineModelLoader(EngineRegistry.Default, new ModelLocator(Path.GetTempPath()), new OnnxSessionFactory(settings), settings, TimeProvider.System, NullLogger<PipelineModelLoader>.Instance);
        _manager = new ModelManager(_loader, ComputeDevice.Cpu(settings.CpuMemoryBytes), new ProcessMemory(), TimeProvider.System, settings, NullLogger<ModelManager>.Instance);
        await _manager.WarmUpAsync([X4], CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _manager.DisposeAsync();

    /// <summary>A resident model completes synchronously: measured without an async wrapper so only the manager's cost shows.</summary>
    [Benchmark]
    public int WarmAcquireRelease()
    {
        var acquire = _manager.AcquireAsync(X4, CancellationToken.None);
        if (!acquire.IsCompletedSuccessfully)
            throw new InvalidOperationException("The warm model was not resident.");
        using var lease = acquire.Result;
        return lease.ModelId.Length;
    }

    [Benchmark]
    public async Task ColdLoadEsrganX4()
    {
        using var model = await _loader.LoadAsync(X4, _loader.Estimate(X4).EstimateBytes, CancellationToken.None);
    }
}
