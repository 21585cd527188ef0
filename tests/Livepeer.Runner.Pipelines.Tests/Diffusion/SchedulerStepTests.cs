using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers.SchedulerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

// Expected values are diffusers' step formulas evaluated by hand (float64) on x = [1, −2] and model outputs
// ε = [0.5, 0.25], [0.1, −0.3], [−0.2, 0.4]; the σ and ᾱ tables are those of SchedulerTimestepTests.
public sealed class SchedulerStepTests
{
    private static readonly float[] Sample = [1f, -2f];
    private static readonly float[] Output = [0.5f, 0.25f];
    private static readonly float[] Output2 = [0.1f, -0.3f];
    private static readonly float[] Output3 = [-0.2f, 0.4f];
    private static readonly INoiseSource NoNoise = new ConstantNoise(0f);

    private static float[] Step(IDiffusionScheduler scheduler, int step, float[] sample, float[] output, INoiseSource? noise = null)
    {
        var previous = new float[sample.Length];
        scheduler.Step(output, step, sample, previous, noise ?? NoNoise);
        return previous;
    }

    [Fact]
    public void Euler_Epsilon_MovesByTheSigmaDropTimesTheNoise()
    {
        var scheduler = Load("sdxl-lightning");
        scheduler.SetTimesteps(4);

        // x + (σ₇₄₉ − σ₉₉₉)·ε
        AssertClose([-4.266455933, -4.633227966], Step(scheduler, 0, Sample, Output));
    }

    [Fact]
    public void Euler_VPrediction_UsesTheEdmPreconditioning()
    {
        var scheduler = Sd15Like(SchedulerClassNames.EulerDiscrete, """, "timestep_spacing": "trailing", "prediction_type": "v_prediction" """);
        scheduler.SetTimesteps(4);

        // x̂₀ = x/(σ²+1) − σ/√(σ²+1)·v; x + (σ' − σ)·(x − x̂₀)/σ
        AssertClose([-0.076865160, -0.745055087], Step(scheduler, 0, Sample, Output));
    }

    [Fact]
    public void Euler_ScaleModelInput_DividesByRootSigmaSquaredPlusOne()
    {
        var scheduler = Load("sdxl-lightning");
        scheduler.SetTimesteps(4);
        var scaled = new float[2];
        scheduler.ScaleModelInput(Sample, 0, scaled);

        var root = Math.Sqrt((14.614641229 * 14.614641229) + 1);
        AssertClose([1 / root, -2 / root], scaled);
    }

    [Fact]
    public void Euler_AddNoise_AddsSigmaTimesNoise()
    {
        var scheduler = Load("sdxl-lightning");
        scheduler.SetTimesteps(4);
        var noised = new float[2];
        scheduler.AddNoise(Sample, Output, 1, noised);

        AssertClose([1 + (4.081729364 * 0.5), -2 + (4.081729364 * 0.25)], noised);
    }

    [Fact]
    public void Euler_StepInPlace_EqualsStepIntoAnotherBuffer()
    {
        var scheduler = Load("sdxl");
        scheduler.SetTimesteps(30);
        var expected = Step(scheduler, 3, Sample, Output);
        var inPlace = (float[])Sample.Clone();
        scheduler.Step(Output, 3, inPlace, inPlace, NoNoise);

        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void EulerAncestral_StepsDownToSigmaDownThenAddsSigmaUpNoise()
    {
        var scheduler = Sd15Like(SchedulerClassNames.EulerAncestral);
        scheduler.SetTimesteps(4);
        var noise = new ConstantNoise(1f);

        // Leading, offset 1: t = 751, 501, …; σ_up, σ_down from σ₇₅₁ = 4.116696, σ₅₀₁ = 1.623692; noise = 1.
        Assert.Equal([751f, 501f, 251f, 1f], scheduler.Timesteps.ToArray());
        AssertClose([0.753919470, -1.377009055], Step(scheduler, 0, Sample, Output, noise));
        Assert.Equal(1, noise.Draws);
        Assert.Equal(4.236412386, scheduler.InitNoiseSigma, 4);
    }

    [Fact]
    public void Ddim_VPrediction_Upscaler_FirstAndLastStep()
    {
        var scheduler = Load("sd-x4-upscaler");
        scheduler.SetTimesteps(50);

        // x̂₀ = √ᾱ·x − √(1−ᾱ)·v, ε̂ = √ᾱ·v + √(1−ᾱ)·x, x' = √ᾱ'·x̂₀ + √(1−ᾱ')·ε̂ with t 981 → 961 …
        AssertClose([0.996551848, -2.001665433], Step(scheduler, 0, Sample, Output));
        // … and 1 → "−19", which lands on ᾱ₀ because set_alpha_to_one is false.
        AssertClose([0.997873329, -2.001040912], Step(scheduler, 49, Sample, Output));
    }

    [Fact]
    public void Ddim_Epsilon_Sd15Betas_FirstStep()
    {
        var scheduler = Sd15Like(SchedulerClassNames.Ddim);
        scheduler.SetTimesteps(50);

        AssertClose([1.061225698, -2.276516403], Step(scheduler, 0, Sample, Output));
    }

    [Fact]
    public void Ddim_ClipSample_ClampsThePredictedOriginalOnly()
    {
        var scheduler = Sd15Like(SchedulerClassNames.Ddim, """, "clip_sample": true """);
        scheduler.SetTimesteps(50);
        var alpha = AlphaCumprod(981);
        var alphaPrev = AlphaCumprod(961);

        // x̂₀ = (x − √(1−ᾱ)ε)/√ᾱ is far outside [−1, 1] here, so it clamps to ±1; ε̂ stays the model's.
        var expected = new[] { (Math.Sqrt(alphaPrev) * 1) + (Math.Sqrt(1 - alphaPrev) * 0.5), (Math.Sqrt(alphaPrev) * -1) + (Math.Sqrt(1 - alphaPrev) * 0.25) };
        Assert.True(Math.Abs((1 - (Math.Sqrt(1 - alpha) * 0.5)) / Math.Sqrt(alpha)) > 1);
        AssertClose(expected, Step(scheduler, 0, Sample, Output));
    }

    [Fact]
    public void Pndm_FirstThreeSteps_FollowThePlmsWarmUp()
    {
        var scheduler = Load("sd15");
        scheduler.SetTimesteps(50);

        // 0: eq. 9 from 981 to 961 with ε₀.
        var x1 = Step(scheduler, 0, Sample, Output);
        AssertClose([1.061225698, -2.276516403], x1);
        // 1: redo 981 → 961 from the first sample with (ε₀ + ε₁)/2.
        var x2 = Step(scheduler, 1, x1, Output2);
        AssertClose([1.085876099, -2.242622102], x2);
        // 2: 961 → 941 with (3ε₂ − ε₀)/2 (the second call's output is not kept).
        AssertClose([1.280754847, -2.566153221], Step(scheduler, 2, x2, Output3));
    }

    [Fact]
    public void DpmSolverPlusPlus2MKarras_FirstOrderThenSecondOrderThenDenoised()
    {
        var scheduler = Sd15Like(SchedulerClassNames.DpmSolverMultistep, """, "use_karras_sigmas": true """);
        scheduler.SetTimesteps(25);

        // Step 0 has no history: first order in λ = ln(α/σ).
        var y1 = Step(scheduler, 0, Sample, Output);
        AssertClose([1.094073938, -2.424644631], y1);
        // Step 1 adds the ½·(m₀ − m₁)/r₀ term from the previous data prediction.
        AssertClose([1.326096122, -2.780602121], Step(scheduler, 1, y1, Output2));
    }

    [Fact]
    public void DpmSolver_LastStepToSigmaZero_ReturnsTheDataPrediction()
    {
        var scheduler = Sd15Like(SchedulerClassNames.DpmSolverMultistep, """, "use_karras_sigmas": true """);
        scheduler.SetTimesteps(25);
        var current = (float[])Sample.Clone();
        for (var i = 0; i < 24; i++)
            scheduler.Step(Output, i, current, current, NoNoise);

        // x̂₀ = (x − σ_VP·ε)/α at σ = σ₀ = 0.0291672.
        AssertClose([0.985841692, -2.008142332], Step(scheduler, 24, Sample, Output));
    }

    [Fact]
    public void DpmSolver_AfterSetTimesteps_ForgetsItsHistory()
    {
        var scheduler = Sd15Like(SchedulerClassNames.DpmSolverMultistep, """, "use_karras_sigmas": true """);
        scheduler.SetTimesteps(25);
        var first = Step(scheduler, 0, Sample, Output);
        Step(scheduler, 1, first, Output2);

        scheduler.SetTimesteps(25);
        Assert.Equal(first, Step(scheduler, 0, Sample, Output));
    }

    [Fact]
    public void Lcm_RenoisesBetweenStepsButNotAfterTheLast()
    {
        var scheduler = FromJson("""{"_class_name": "LCMScheduler"}""");
        scheduler.SetTimesteps(4);
        var noise = new ConstantNoise(1f);

        // c_skip, c_out at 10·t with σ_data 0.5; re-noised to t = 759 with noise 1.
        AssertClose([2.651085594, -6.555874505], Step(scheduler, 0, Sample, Output, noise));
        Assert.Equal(1, noise.Draws);
        AssertClose([0.872181567, -2.643587643], Step(scheduler, 3, Sample, Output, noise));
        Assert.Equal(1, noise.Draws);
    }

    [Fact]
    public void Ddpm_UpscalerLowResNoise_AtNoiseLevel20()
    {
        var scheduler = Assert.IsType<DdpmScheduler>(Load("sd-x4-upscaler", "low_res_scheduler"));
        var noised = new float[2];
        scheduler.AddNoiseAtTimestep([1f, -1f], [0.5f, 2f], 20, noised);

        // √ᾱ₂₀ = 0.998649728, √(1−ᾱ₂₀) = 0.051949207 for scaled_linear 0.0001–0.02.
        AssertClose([1.024624332, -0.894751315], noised);
    }

    [Fact]
    public void Ddpm_Step_PosteriorMeanWithClippingPlusFixedSmallVariance()
    {
        var scheduler = Load("sd-x4-upscaler", "low_res_scheduler");
        scheduler.SetTimesteps(10);

        Assert.Equal(900f, scheduler.Timesteps[0]);
        AssertClose([1.450576088, -0.167504823], Step(scheduler, 0, Sample, Output, new ConstantNoise(1f)));
    }

    [Fact]
    public void AlphaSchedulers_AddNoise_AtTheStepTimestep()
    {
        var scheduler = Load("sd-x4-upscaler");
        scheduler.SetTimesteps(50);
        var noised = new float[2];
        scheduler.AddNoise(Sample, Output, 0, noised);

        var alpha = 0.0010489874477252084; // ᾱ₉₈₁ for 0.0001–0.02 scaled_linear
        AssertClose([Math.Sqrt(alpha) + (Math.Sqrt(1 - alpha) * 0.5), (-2 * Math.Sqrt(alpha)) + (Math.Sqrt(1 - alpha) * 0.25)], noised);
    }

    /// <summary>ᾱₜ of SD's scaled_linear 0.00085–0.012 schedule, from the formula.</summary>
    private static double AlphaCumprod(int t)
    {
        double start = Math.Sqrt(0.00085), end = Math.Sqrt(0.012), product = 1;
        for (var i = 0; i <= t; i++)
        {
            var root = start + (i * (end - start) / 999);
            product *= 1 - (root * root);
        }

        return product;
    }
}
