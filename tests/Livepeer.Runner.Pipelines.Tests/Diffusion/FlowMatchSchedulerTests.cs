using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Flux;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers.SchedulerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

// Expected tables come two ways, neither from this code:
//  1. the published formulas, worked out below in float64: SD3's static shift σ' = s·σ/(1 + (s − 1)·σ) on diffusers'
//     default grid linspace(1000, 1000·shift(1/1000), n)/1000; Flux's grid linspace(1, 1/n, n) with dev's dynamic
//     shift e^μ/(e^μ + 1/σ − 1), μ = 0.5 + (seq − 256)·(1.15 − 0.5)/(4096 − 256), seq = (px/16)².
//  2. pinned values printed by /usr/bin/python3 (numpy 1.24, torch 1.13) running a transcription of diffusers'
//     FlowMatchEulerDiscreteScheduler.__init__ / set_timesteps and the Flux pipeline's calculate_shift, in float32 as
//     diffusers computes them.
public sealed class FlowMatchSchedulerTests
{
    private const string SchnellConfig = """
        {"_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 256, "base_shift": 0.5,
         "max_image_seq_len": 4096, "max_shift": 1.15, "num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": false}
        """;

    private const string DevConfig = """
        {"_class_name": "FlowMatchEulerDiscreteScheduler", "base_image_seq_len": 256, "base_shift": 0.5,
         "max_image_seq_len": 4096, "max_shift": 1.15, "num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": true}
        """;

    private const string Sd3Config = """{"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0}""";

    private static FlowMatchEulerScheduler Build(string json) => Assert.IsType<FlowMatchEulerScheduler>(FromJson(json));

    [Fact]
    public void Schnell_FourFluxSteps_AreQuartersDownToZero()
    {
        var scheduler = Build(SchnellConfig);
        scheduler.SetTimesteps(4, FlowSigmaGrid.Flux, mu: null);

        AssertClose([1000, 750, 500, 250], scheduler.Timesteps, 0);
        AssertClose([1, 0.75, 0.5, 0.25, 0], scheduler.Sigmas, 0);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
    }

    [Fact]
    public void Sd3_28Steps_ShiftsTheTrainingRangeByThree()
    {
        var scheduler = Build(Sd3Config);
        scheduler.SetTimesteps(28);

        var sigmaMin = Shift3(1.0 / 1000);
        double[] expected = [.. Enumerable.Range(0, 28).Select(i => Shift3((1000 + (i * ((sigmaMin * 1000) - 1000) / 27)) / 1000)), 0];
        AssertClose(expected, scheduler.Sigmas, 1e-6);
        AssertClose([.. expected[..^1].Select(s => s * 1000)], scheduler.Timesteps, 1e-6);

        // Pinned (python, see top): diffusers shifts σ_min twice, so the last σ is 0.00893, not 0.00299.
        AssertClose([1000.0, 987.380615234375, 974.1077270507812], scheduler.Timesteps[..3], 1e-6);
        AssertClose([0.1109057292342186, 0.008928571827709675, 0], scheduler.Sigmas[^3..], 1e-6);
    }

    [Theory]
    [InlineData(1024, 4096, 1.15, new[] { 1.0, 0.988408625125885, 0.9762224555015564 }, new[] { 0.19545459747314453, 0.10472089797258377 })]
    [InlineData(512, 1024, 0.63, new[] { 1.0, 0.9806559681892395, 0.9606437683105469 }, new[] { 0.1262037754058838, 0.06501960009336472 })]
    public void Dev_28Steps_ShiftsByTheResolutionsMu(int pixels, int pinnedSeq, double pinnedMu, double[] pinnedHead, double[] pinnedTail)
    {
        var scheduler = Build(DevConfig);
        var latent = FluxLatents.LatentSize(pixels);
        var seq = FluxLatents.SequenceLength(latent, latent);
        var mu = FlowMatchShift.Mu(scheduler.Config, seq);
        scheduler.SetTimesteps(28, FlowSigmaGrid.Flux, mu);

        var expectedMu = 0.5 + ((seq - 256) * (1.15 - 0.5) / (4096 - 256));
        double[] expected =
        [
            .. Enumerable.Range(0, 28).Select(i => 1 + (i * ((1.0 / 28) - 1) / 27)).Select(u => Math.Exp(expectedMu) / (Math.Exp(expectedMu) + (1 / u) - 1)),
            0,
        ];
        Assert.Equal(pinnedSeq, seq);
        Assert.Equal(expectedMu, mu, 12);
        Assert.Equal(pinnedMu, mu, 12);
        AssertClose(expected, scheduler.Sigmas, 1e-6);
        AssertClose(pinnedHead, scheduler.Sigmas[..3], 1e-6);
        AssertClose([.. pinnedTail, 0], scheduler.Sigmas[^3..], 1e-6);
        AssertClose([.. pinnedHead.Select(s => s * 1000)], scheduler.Timesteps[..3], 1e-6);
    }

    [Fact]
    public void Dev_WithoutMu_IsRefused()
    {
        var scheduler = Build(DevConfig);

        Assert.Throws<ArgumentException>(() => scheduler.SetTimesteps(28));
    }

    [Fact]
    public void LinearTimeShift_UsesMuItself()
    {
        var scheduler = Build("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "use_dynamic_shifting": true, "time_shift_type": "linear"}""");
        scheduler.SetTimesteps(2, FlowSigmaGrid.Flux, mu: 2);

        // Grid [1, 0.5]: 2/(2 + 1/0.5 − 1) = 2/3.
        AssertClose([1, 2.0 / 3, 0], scheduler.Sigmas, 1e-7);
    }

    [Fact]
    public void ShiftTerminal_StretchesTheLastSigmaOntoIt()
    {
        var scheduler = Build("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift_terminal": 0.1}""");
        scheduler.SetTimesteps(4, FlowSigmaGrid.Flux, mu: null);

        // 1 − (1 − σ)·(1 − 0.1)/(1 − 0.25) on [1, 0.75, 0.5, 0.25].
        AssertClose([1, 0.7, 0.4, 0.1, 0], scheduler.Sigmas, 1e-6);
    }

    [Fact]
    public void Step_MovesAlongTheVelocityByTheSigmaGap()
    {
        var scheduler = Build(SchnellConfig);
        scheduler.SetTimesteps(4, FlowSigmaGrid.Flux, mu: null);
        float[] sample = [1, 2, 3, 4];
        float[] velocity = [0.5f, -1, 2, 0];

        // Step 1: σ 0.75 → 0.5, so x − 0.25·v.
        scheduler.Step(velocity, 1, sample, sample, new ConstantNoise(0));

        Assert.Equal([0.875f, 2.25f, 2.5f, 4f], sample);
    }

    [Fact]
    public void Steps_WithTheTrueVelocity_EndOnTheCleanSample()
    {
        var scheduler = Build(Sd3Config);
        scheduler.SetTimesteps(5);
        float[] clean = [0.5f, -1.5f, 2, 0.25f];
        float[] noise = [1, 0.5f, -2, -0.75f];
        float[] velocity = [.. noise.Zip(clean, (e, x) => e - x)];
        var latent = (float[])noise.Clone();

        for (var i = 0; i < scheduler.Timesteps.Length; i++)
            scheduler.Step(velocity, i, latent, latent, new ConstantNoise(0));

        AssertClose([.. clean.Select(v => (double)v)], latent, 1e-6);
    }

    [Fact]
    public void AddNoise_InterpolatesTowardsNoiseBySigma()
    {
        var scheduler = Build(SchnellConfig);
        scheduler.SetTimesteps(4, FlowSigmaGrid.Flux, mu: null);
        var noised = new float[2];

        scheduler.AddNoise([2, 4], [-1, 0], 1, noised);

        // 0.75·ε + 0.25·x₀.
        Assert.Equal([-0.25f, 1f], noised);
    }

    [Fact]
    public void ScaleModelInput_PassesTheLatentThrough()
    {
        var scheduler = Build(Sd3Config);
        scheduler.SetTimesteps(28);
        var scaled = new float[3];

        scheduler.ScaleModelInput([1, -2, 3], 0, scaled);

        Assert.Equal([1f, -2f, 3f], scaled);
    }

    [Fact]
    public void Img2Img_KeepsTheFlowPipelinesRoundedUpCount()
    {
        var scheduler = Build(Sd3Config);
        scheduler.SetTimesteps(28);
        var full = scheduler.Sigmas.ToArray();

        // 28·0.3 = 8.4: Flux/SD3 img2img skip ⌊28 − 8.4⌋ = 19 and keep 9 (the UNet pipelines would keep 8).
        scheduler.SetTimesteps(28, 0.3);

        Assert.Equal(9, scheduler.Timesteps.Length);
        Assert.Equal(full[19..], scheduler.Sigmas.ToArray());
    }

    [Fact]
    public void Config_ReadsTheFluxDevKeys()
    {
        var config = SchedulerConfigReader.Parse(DevConfig, "flux-dev");

        Assert.Equal(SchedulerClassNames.FlowMatchEuler, config.ClassName);
        Assert.True(config.UseDynamicShifting);
        Assert.Equal(3.0, config.Shift);
        Assert.Equal((0.5, 1.15, 256, 4096), (config.BaseShift, config.MaxShift, config.BaseImageSeqLen, config.MaxImageSeqLen));
        Assert.Equal(TimeShiftType.Exponential, config.TimeShiftType);
        Assert.Null(config.ShiftTerminal);
    }

    [Theory]
    [InlineData("\"stochastic_sampling\": true", "stochastic_sampling")]
    [InlineData("\"invert_sigmas\": true", "invert_sigmas")]
    [InlineData("\"use_karras_sigmas\": true", "Karras")]
    [InlineData("\"shift\": 0", "shift must be positive")]
    public void UnsupportedOptions_AreRefusedAtLoad(string extra, string named)
    {
        var error = Assert.Throws<ModelLoadException>(() => FromJson($$"""{"_class_name": "FlowMatchEulerDiscreteScheduler", {{extra}}}"""));

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void UnetPipelines_RefuseTheFlowMatchingClass()
    {
        var config = SchedulerConfigReader.Parse(Sd3Config, "sd3");

        var error = Assert.Throws<ModelLoadException>(() => SchedulerFactory.CreateForUnet(config, "sd3"));

        Assert.Contains("not a UNet", error.Message);
        Assert.IsType<FlowMatchEulerScheduler>(SchedulerFactory.Create(config, "sd3"));
    }

    private static double Shift3(double sigma) => 3 * sigma / (1 + (2 * sigma));
}
