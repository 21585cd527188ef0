using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The CPU side of one denoising step on a 4×128×128 latent (SDXL at 1024²): a scheduler step in place over the
/// loop's own buffer, the classifier-free-guidance combine, and the seeded noise an ancestral step draws.
/// None of them should allocate.
/// </summary>
[MemoryDiagnoser]
public class SchedulerBenchmarks
{
    private const int LatentLength = 4 * 128 * 128;
    private const int Steps = 20;

    private float[] _latent = null!;
    private float[] _modelOutput = null!;
    private float[] _uncond = null!;
    private float[] _cond = null!;
    private float[] _guided = null!;
    private IDiffusionScheduler _euler = null!;
    private IDiffusionScheduler _dpm = null!;
    private GaussianNoise _noise = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _latent = new float[LatentLength];
        _modelOutput = new float[LatentLength];
        _uncond = new float[LatentLength];
        _cond = new float[LatentLength];
        _guided = new float[LatentLength];
        for (var i = 0; i < LatentLength; i++)
        {
            _modelOutput[i] = (float)((random.NextDouble() * 2) - 1);
            _uncond[i] = (float)((random.NextDouble() * 2) - 1);
            _cond[i] = (float)((random.NextDouble() * 2) - 1);
        }

        const string sdxl = """
            {"_class_name": "EulerDiscreteScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "steps_offset": 1, "timestep_spacing": "leading"}
            """;
        _euler = SchedulerFactory.Create(SchedulerConfigReader.Parse(sdxl, "bench"), "bench");
        _euler.SetTimesteps(Steps);

        var dpm = sdxl.Replace("EulerDiscreteScheduler", "DPMSolverMultistepScheduler", StringComparison.Ordinal)
            .Replace("\"leading\"", "\"leading\", \"use_karras_sigmas\": true", StringComparison.Ordinal);
        _dpm = SchedulerFactory.Create(SchedulerConfigReader.Parse(dpm, "bench"), "bench");
        _dpm.SetTimesteps(Steps);
        _noise = new GaussianNoise(42);

        // Size the multistep history once, as the first step of a real loop does.
        _dpm.Step(_modelOutput, 0, _latent, _latent, _noise);
    }

    /// <summary>One Euler step, averaged over a 20-step schedule.</summary>
    [Benchmark(OperationsPerInvoke = Steps)]
    public float EulerStep()
    {
        _latent.AsSpan().Fill(1f);
        for (var i = 0; i < Steps; i++)
        {
            _euler.ScaleModelInput(_latent, i, _guided);
            _euler.Step(_modelOutput, i, _latent, _latent, _noise);
        }

        return _latent[0];
    }

    /// <summary>One DPM++ 2M Karras step (all but the first are second order), averaged over a 20-step schedule.</summary>
    [Benchmark(OperationsPerInvoke = Steps)]
    public float DpmSolver2MStep()
    {
        _latent.AsSpan().Fill(1f);
        for (var i = 0; i < Steps; i++)
            _dpm.Step(_modelOutput, i, _latent, _latent, _noise);
        return _latent[0];
    }

    /// <summary>uncond + g·(cond − uncond) into the loop's guided-output buffer.</summary>
    [Benchmark]
    public float CfgCombine()
    {
        ClassifierFreeGuidance.Combine(_uncond, _cond, 7.5f, _guided);
        return _guided[0];
    }

    /// <summary>A latent's worth of seeded N(0, 1) noise: the initial latent, and what an ancestral/LCM step draws.</summary>
    [Benchmark]
    public float SeededNoise()
    {
        _noise.NextGaussian(_guided);
        return _guided[0];
    }
}
