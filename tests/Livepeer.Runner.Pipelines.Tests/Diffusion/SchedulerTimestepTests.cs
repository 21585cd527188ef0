using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers.SchedulerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

// Expected tables are worked out from diffusers' published formulas, not from this code:
//   scaled_linear betas βᵢ = (√0.00085 + i·(√0.012 − √0.00085)/999)², ᾱₜ = ∏(1 − βᵢ), σₜ = √((1 − ᾱₜ)/ᾱₜ)
//   (σ₀ = 0.0291672, σ₉₉₉ = 14.6146412: the SD σ range k-diffusion prints);
//   leading  t = (n−1−i)·⌊1000/n⌋ + steps_offset;  trailing t = round(1000 − i·1000/n) − 1;
//   Karras   σᵢ = (σmax^(1/7) + i/(n−1)·(σmin^(1/7) − σmax^(1/7)))⁷, t from log-σ interpolation.
public sealed class SchedulerTimestepTests
{
    private static readonly double[] SdSigmasLightning = [14.614641229, 4.081729364, 1.612886194, 0.693204900, 0];

    [Fact]
    public void Pndm_Sd15At50Steps_RepeatsTheSecondLeadingTimestep()
    {
        var scheduler = Load("sd15");
        scheduler.SetTimesteps(50);

        // diffusers' PLMS list: [981, 961, 961, 941, …, 21, 1], 51 entries for 50 steps.
        double[] expected = [981, 961, .. Enumerable.Range(0, 49).Select(k => 961.0 - (20 * k))];
        Assert.Equal(51, scheduler.Timesteps.Length);
        Assert.Equal([981f, 961f, 961f, 941f], scheduler.Timesteps[..4].ToArray());
        Assert.Equal(1f, scheduler.Timesteps[^1]);
        AssertClose(expected, scheduler.Timesteps, 0);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
        Assert.True(scheduler.Sigmas.IsEmpty);
    }

    [Fact]
    public void EulerLeading_SdxlAt30Steps_StepsBy33FromOffsetOne()
    {
        var scheduler = Load("sdxl");
        scheduler.SetTimesteps(30);

        double[] expected = [.. Enumerable.Range(0, 30).Select(i => ((29.0 - i) * 33) + 1)];
        AssertClose(expected, scheduler.Timesteps, 0);
        Assert.Equal(958f, scheduler.Timesteps[0]);
        Assert.Equal(31, scheduler.Sigmas.Length);
        AssertClose([11.476846458, 9.543582567], scheduler.Sigmas[..2]);
        AssertClose([0.041314412, 0], scheduler.Sigmas[^2..]);
        // Leading stops short of t = 999, so the first latent is scaled by √(σ²+1), not σ.
        Assert.Equal(11.520330057, scheduler.InitNoiseSigma, 4);
    }

    [Fact]
    public void EulerTrailing_SdxlLightningAt4Steps_StartsAt999()
    {
        var scheduler = Load("sdxl-lightning");
        scheduler.SetTimesteps(4);

        Assert.Equal([999f, 749f, 499f, 249f], scheduler.Timesteps.ToArray());
        AssertClose(SdSigmasLightning, scheduler.Sigmas);
        Assert.Equal(14.614641, scheduler.InitNoiseSigma, 4);
    }

    [Fact]
    public void EulerLinspace_KeepsFractionalTimestepsAndInterpolatesSigma()
    {
        var scheduler = Sd15Like(SchedulerClassNames.EulerDiscrete, """, "timestep_spacing": "linspace" """);
        scheduler.SetTimesteps(3);

        Assert.Equal([999f, 499.5f, 0f], scheduler.Timesteps.ToArray());
        AssertClose([14.614641229], scheduler.Sigmas[..1]);
        AssertClose([0.029167158, 0], scheduler.Sigmas[2..]);
        Assert.InRange(scheduler.Sigmas[1], 1.6, 1.65);
        Assert.Equal(14.614641, scheduler.InitNoiseSigma, 4);
    }

    [Fact]
    public void EulerAncestral_InstructPix2PixFixture_SpacesByLinspaceItsClassDefault()
    {
        var scheduler = Load("instruct-pix2pix");
        scheduler.SetTimesteps(4);

        Assert.Equal([999f, 666f, 333f, 0f], scheduler.Timesteps.ToArray());
        AssertClose([14.614641229], scheduler.Sigmas[..1]);
        AssertClose([0.029167158, 0], scheduler.Sigmas[3..]);
    }

    [Fact]
    public void Ddim_UpscalerAt50Steps_IsLeadingWithOffsetOne()
    {
        var scheduler = Load("sd-x4-upscaler");
        scheduler.SetTimesteps(50);

        double[] expected = [.. Enumerable.Range(0, 50).Select(i => ((49.0 - i) * 20) + 1)];
        AssertClose(expected, scheduler.Timesteps, 0);
        Assert.Equal(981f, scheduler.Timesteps[0]);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
    }

    [Fact]
    public void Ddim_TrailingAt4Steps_MatchesLightningGrid()
    {
        var scheduler = Sd15Like(SchedulerClassNames.Ddim, """, "timestep_spacing": "trailing" """);
        scheduler.SetTimesteps(4);

        Assert.Equal([999f, 749f, 499f, 249f], scheduler.Timesteps.ToArray());
    }

    [Fact]
    public void DpmSolverKarras_Sd15At25Steps_SpansTheFullSigmaRange()
    {
        var scheduler = Sd15Like(SchedulerClassNames.DpmSolverMultistep, """, "use_karras_sigmas": true """);
        scheduler.SetTimesteps(25);

        AssertClose(
            [999, 970, 938, 905, 868, 829, 786, 739, 687, 630, 568, 500, 427, 352, 278, 207, 146, 96, 59, 34, 18, 9, 4, 1, 0],
            scheduler.Timesteps, 0);
        Assert.Equal(26, scheduler.Sigmas.Length);
        AssertClose([14.614641229, 12.283034200, 10.277823741], scheduler.Sigmas[..3]);
        AssertClose([0.043742346, 0.029167158, 0], scheduler.Sigmas[^3..]);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
    }

    [Fact]
    public void DpmSolverLinspace_DropsTheLastOfStepsPlusOnePoints()
    {
        var scheduler = Sd15Like(SchedulerClassNames.DpmSolverMultistep, """, "timestep_spacing": "linspace" """);
        scheduler.SetTimesteps(4);

        // round(linspace(0, 999, 5)) = 0, 250, 500 (half to even), 749, 999; reversed, last dropped.
        Assert.Equal([999f, 749f, 500f, 250f], scheduler.Timesteps.ToArray());
        AssertClose([14.614641229, 4.081729364], scheduler.Sigmas[..2]);
    }

    [Fact]
    public void Lcm_At4Steps_PicksFromTheDistillationGrid()
    {
        var scheduler = FromJson("""{"_class_name": "LCMScheduler"}""");
        scheduler.SetTimesteps(4);

        // Grid 999, 979, …, 19 (k = 20); indices ⌊linspace(0, 50, 4, endpoint=False)⌋ = 0, 12, 25, 37.
        Assert.Equal([999f, 759f, 499f, 259f], scheduler.Timesteps.ToArray());
    }

    [Fact]
    public void Lcm_Strength_ShortensTheGridItself()
    {
        var scheduler = FromJson("""{"_class_name": "LCMScheduler"}""");
        scheduler.SetTimesteps(4, strength: 0.5);

        // Grid of 25: 499 … 19; indices 0, 6, 12, 18.
        Assert.Equal([499f, 379f, 259f, 139f], scheduler.Timesteps.ToArray());
    }

    [Theory]
    [InlineData(8, 1.0)]
    [InlineData(4, 0.05)]
    [InlineData(4, 1.5)]
    public void Lcm_TooManyStepsForItsGrid_IsABadInput(int steps, double strength)
    {
        var scheduler = FromJson("""{"_class_name": "LCMScheduler", "original_inference_steps": 6}""");
        Assert.Throws<BadInputException>(() => scheduler.SetTimesteps(steps, strength));
    }

    [Fact]
    public void EulerKarrasContinuous_Svd_FeedsQuarterLogSigma()
    {
        var scheduler = Load("svd");
        scheduler.SetTimesteps(25);

        // Karras between the config's σmin 0.002 and σmax 700; timestep = ¼·ln σ.
        AssertClose([700, 545.729246167], scheduler.Sigmas[..2]);
        AssertClose([0.002, 0], scheduler.Sigmas[^2..]);
        AssertClose([1.637770084, 1.575530742], scheduler.Timesteps[..2]);
        AssertClose([-1.553652025], scheduler.Timesteps[^1..]);
        Assert.Equal(700.000714, scheduler.InitNoiseSigma, 2);
    }

    [Fact]
    public void Strength_KeepsTheLastStepsOfTheSchedule()
    {
        var scheduler = Load("sdxl");
        scheduler.SetTimesteps(30, strength: 0.5);

        Assert.Equal(15, scheduler.Timesteps.Length);
        Assert.Equal(958f - (15 * 33), scheduler.Timesteps[0]);
        Assert.Equal(16, scheduler.Sigmas.Length);
        Assert.Equal(0f, scheduler.Sigmas[^1]);
        // The initial-noise scale still describes the whole schedule.
        Assert.Equal(11.520330057, scheduler.InitNoiseSigma, 4);
    }

    [Fact]
    public void Strength_OnPndm_CutsTheRepeatedListAsDiffusersDoes()
    {
        var scheduler = Load("sd15");
        scheduler.SetTimesteps(50, strength: 0.8);

        Assert.Equal(41, scheduler.Timesteps.Length);
        Assert.Equal(801f, scheduler.Timesteps[0]);
    }

    [Fact]
    public void Strength_IsTruncatedInDoublePrecision()
    {
        // 10 × 0.7 = 7.000000000000001 in float64 keeps 7 steps; a float32 0.7 would keep 6.
        var scheduler = Sd15Like(SchedulerClassNames.Ddim);
        scheduler.SetTimesteps(10, strength: 0.7);

        Assert.Equal(7, scheduler.Timesteps.Length);
        Assert.Equal(601f, scheduler.Timesteps[0]);
    }

    [Theory]
    [InlineData(10, 0.05)]
    [InlineData(10, 1.5)]
    [InlineData(0, 1.0)]
    [InlineData(1001, 1.0)]
    public void StepsOrStrengthOutOfRange_IsABadInput(int steps, double strength) =>
        Assert.Throws<BadInputException>(() => Load("sdxl").SetTimesteps(steps, strength));
}
