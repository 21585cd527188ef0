using Livepeer.Runner.Pipelines.Diffusion.Schedulers;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

public sealed class ClassifierFreeGuidanceTests
{
    private static readonly float[] Uncond = [1f, -2f, 0.5f];
    private static readonly float[] Cond = [2f, 0f, 0.5f];

    [Fact]
    public void Combine_IsUncondPlusScaleTimesTheDifference()
    {
        var destination = new float[3];
        ClassifierFreeGuidance.Combine(Uncond, Cond, 7.5f, destination);

        Assert.Equal([8.5f, 13f, 0.5f], destination);
    }

    [Fact]
    public void Combine_InPlaceOverEitherInput_GivesTheSameResult()
    {
        var overUncond = (float[])Uncond.Clone();
        var overCond = (float[])Cond.Clone();
        ClassifierFreeGuidance.Combine(overUncond, Cond, 7.5f, overUncond);
        ClassifierFreeGuidance.Combine(Uncond, overCond, 7.5f, overCond);

        Assert.Equal([8.5f, 13f, 0.5f], overUncond);
        Assert.Equal([8.5f, 13f, 0.5f], overCond);
    }

    [Fact]
    public void CombineImageGuided_MatchesInstructPix2PixFormula()
    {
        float[] text = [1f, 2f];
        float[] image = [0.5f, -1f];
        float[] uncond = [0f, 1f];
        var destination = new float[2];
        ClassifierFreeGuidance.CombineImageGuided(text, image, uncond, 7.5f, 1.5f, destination);

        // uncond + 7.5·(text − image) + 1.5·(image − uncond)
        Assert.Equal(0 + (7.5f * 0.5f) + (1.5f * 0.5f), destination[0], 5);
        Assert.Equal(1 + (7.5f * 3f) + (1.5f * -2f), destination[1], 5);
    }
}
