using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

/// <summary>Schedulers built from the tiny fixtures' real-format configs, or from inline JSON.</summary>
internal static class SchedulerFixtures
{
    public static string ConfigPath(string model, string folder = "scheduler") =>
        TestPaths.Model("tiny", model, folder, "scheduler_config.json");

    public static IDiffusionScheduler Load(string model, string folder = "scheduler") =>
        SchedulerFactory.Load(ConfigPath(model, folder), model);

    public static T Load<T>(string model, string folder = "scheduler") where T : IDiffusionScheduler =>
        Assert.IsType<T>(Load(model, folder));

    public static IDiffusionScheduler FromJson(string json) =>
        SchedulerFactory.Create(SchedulerConfigReader.Parse(json, "test"), "test");

    /// <summary>SD1.5's betas with any scheduler class and extra keys.</summary>
    public static IDiffusionScheduler Sd15Like(string className, string extra = "") =>
        FromJson($$"""
            {"_class_name": "{{className}}", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "num_train_timesteps": 1000, "steps_offset": 1, "set_alpha_to_one": false, "clip_sample": false,
             "skip_prk_steps": true, "timestep_spacing": "leading" {{extra}}}
            """);

    public static void AssertClose(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}

/// <summary>Noise pinned to one value, so a stochastic step's result can be worked out by hand.</summary>
internal sealed class ConstantNoise(float value) : INoiseSource
{
    public int Draws { get; private set; }

    public void NextGaussian(Span<float> destination)
    {
        destination.Fill(value);
        Draws++;
    }
}
