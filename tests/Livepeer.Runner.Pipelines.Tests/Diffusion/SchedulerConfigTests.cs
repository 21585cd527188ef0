using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers.SchedulerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

public sealed class SchedulerConfigTests
{
    [Fact]
    public void Sd15Config_ReadsPndmAsShipped()
    {
        var config = SchedulerConfigReader.Load(ConfigPath("sd15"), "sd15");

        Assert.Equal(SchedulerClassNames.Pndm, config.ClassName);
        Assert.Equal(BetaSchedule.ScaledLinear, config.BetaSchedule);
        Assert.Equal(0.00085, config.BetaStart);
        Assert.Equal(0.012, config.BetaEnd);
        Assert.Equal(TimestepSpacing.Leading, config.TimestepSpacing);
        Assert.Equal(1, config.StepsOffset);
        Assert.True(config.SkipPrkSteps);
        Assert.False(config.SetAlphaToOne);
        Assert.Null(config.TrainedBetas);
    }

    [Fact]
    public void SvdConfig_ReadsKarrasContinuousVPrediction()
    {
        var config = SchedulerConfigReader.Load(ConfigPath("svd"), "svd");

        Assert.Equal(PredictionType.VPrediction, config.PredictionType);
        Assert.Equal(TimestepType.Continuous, config.TimestepType);
        Assert.True(config.UseKarrasSigmas);
        Assert.Equal(0.002, config.SigmaMin);
        Assert.Equal(700.0, config.SigmaMax);
    }

    [Fact]
    public void UpscalerLowResConfig_ReadsDdpmWithClipping()
    {
        var config = SchedulerConfigReader.Load(ConfigPath("sd-x4-upscaler", "low_res_scheduler"), "x4");

        Assert.Equal(SchedulerClassNames.Ddpm, config.ClassName);
        Assert.True(config.ClipSample);
        Assert.Equal(DdpmVarianceType.FixedSmall, config.VarianceType);
        Assert.Equal(0.0001, config.BetaStart);
    }

    [Theory]
    [InlineData(SchedulerClassNames.Ddim, true, true, TimestepSpacing.Leading)]
    [InlineData(SchedulerClassNames.Ddpm, true, false, TimestepSpacing.Leading)]
    [InlineData(SchedulerClassNames.Pndm, false, false, TimestepSpacing.Leading)]
    [InlineData(SchedulerClassNames.EulerDiscrete, false, false, TimestepSpacing.Linspace)]
    [InlineData(SchedulerClassNames.EulerAncestral, false, false, TimestepSpacing.Linspace)]
    [InlineData(SchedulerClassNames.DpmSolverMultistep, false, false, TimestepSpacing.Linspace)]
    [InlineData(SchedulerClassNames.Lcm, false, true, TimestepSpacing.Leading)]
    public void MissingKeys_TakeTheNamedClassDefaults(string className, bool clipSample, bool setAlphaToOne, TimestepSpacing spacing)
    {
        var config = SchedulerConfigReader.Parse($$"""{"_class_name": "{{className}}"}""", "m");

        Assert.Equal(clipSample, config.ClipSample);
        Assert.Equal(setAlphaToOne, config.SetAlphaToOne);
        Assert.Equal(spacing, config.TimestepSpacing);
        Assert.Equal(0, config.StepsOffset);
        Assert.Equal(PredictionType.Epsilon, config.PredictionType);
        Assert.Equal(1000, config.NumTrainTimesteps);
    }

    [Fact]
    public void LcmDefaults_UseTheLatentDiffusionBetas()
    {
        var config = SchedulerConfigReader.Parse("""{"_class_name": "LCMScheduler"}""", "m");

        Assert.Equal(BetaSchedule.ScaledLinear, config.BetaSchedule);
        Assert.Equal(0.00085, config.BetaStart);
        Assert.Equal(50, config.OriginalInferenceSteps);
    }

    [Fact]
    public void DpmSolverKeys_AreRead()
    {
        var config = SchedulerConfigReader.Parse(
            """{"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": true, "final_sigmas_type": "sigma_min", "solver_type": "heun"}""",
            "m");

        Assert.Equal(DpmAlgorithm.DpmSolverPlusPlus, config.AlgorithmType);
        Assert.Equal(2, config.SolverOrder);
        Assert.True(config.UseKarrasSigmas);
        Assert.Equal(FinalSigmasType.SigmaMin, config.FinalSigmasType);
        Assert.Equal(DpmSolverType.Heun, config.SolverType);
    }

    [Theory]
    [InlineData("sd15", typeof(PndmScheduler))]
    [InlineData("sd15-legacy", typeof(PndmScheduler))]
    [InlineData("sdxl", typeof(EulerDiscreteScheduler))]
    [InlineData("sdxl-lightning", typeof(EulerDiscreteScheduler))]
    [InlineData("instruct-pix2pix", typeof(EulerAncestralScheduler))]
    [InlineData("sd-x4-upscaler", typeof(DdimScheduler))]
    [InlineData("svd", typeof(EulerDiscreteScheduler))]
    public void EveryFixtureConfig_BuildsItsScheduler(string model, Type expected) =>
        Assert.IsType(expected, Load(model));

    [Fact]
    public void UpscalerLowResScheduler_IsDdpm() =>
        Assert.IsType<DdpmScheduler>(Load("sd-x4-upscaler", "low_res_scheduler"));

    [Fact]
    public void UnknownClass_IsAModelLoadErrorNamingIt()
    {
        var error = Assert.Throws<ModelLoadException>(() => FromJson("""{"_class_name": "UniPCMultistepScheduler"}"""));

        Assert.Equal("test", error.ModelId);
        Assert.Contains("UniPCMultistepScheduler", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"_class_name": "DDIMScheduler", "prediction_type": "flow_prediction"}""")]
    [InlineData("""{"_class_name": "DDIMScheduler", "timestep_spacing": "sideways"}""")]
    [InlineData("""{"_class_name": "DDIMScheduler", "beta_schedule": "sigmoid"}""")]
    [InlineData("""{"_class_name": "DDIMScheduler", "steps_offset": "one"}""")]
    [InlineData("""{"beta_start": 0.1}""")]
    [InlineData("""{"_class_name": "DDIMScheduler", """)]
    public void UnusableConfig_IsAModelLoadError(string json) =>
        Assert.Throws<ModelLoadException>(() => SchedulerConfigReader.Parse(json, "m"));

    [Theory]
    [InlineData("""{"_class_name": "DDIMScheduler", "thresholding": true}""")]
    [InlineData("""{"_class_name": "PNDMScheduler", "skip_prk_steps": false}""")]
    [InlineData("""{"_class_name": "DPMSolverMultistepScheduler", "solver_order": 3}""")]
    [InlineData("""{"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "dpmsolver"}""")]
    public void UnimplementedOption_IsRefusedRatherThanIgnored(string json) =>
        Assert.Throws<ModelLoadException>(() => FromJson(json));

    [Fact]
    public void MissingFile_IsAModelLoadError() =>
        Assert.Throws<ModelLoadException>(() => SchedulerFactory.Load(Path.Combine(Path.GetTempPath(), "no-such-dir", "scheduler_config.json"), "m"));
}
