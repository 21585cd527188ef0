using Livepeer.Runner.Pipelines.Video;

namespace Livepeer.Runner.Pipelines.Tests.Video;

public sealed class GuidanceRampTests
{
    [Fact]
    public void Scales_RiseLinearlyFromMinToMax_OnePerFrame()
    {
        var scales = GuidanceRamp.Scales(14);

        Assert.Equal(14, scales.Length);
        Assert.Equal(1f, scales[0]);
        Assert.Equal(3f, scales[^1]);
        for (var f = 0; f < scales.Length; f++)
            Assert.Equal(1.0 + (2.0 * f / 13), scales[f], 1e-6);
    }

    [Fact]
    public void TwentyFiveFrames_StepByATwelfth()
    {
        var scales = GuidanceRamp.Scales(25);

        Assert.Equal(1f + (1f / 12), scales[1], 1e-6f);
        Assert.Equal(2f, scales[12], 1e-6f);
    }

    [Fact]
    public void OneFrame_IsTheMinimum_AndGuidanceNeedsAScaleAboveOne()
    {
        Assert.Equal([1f], GuidanceRamp.Scales(1));
        Assert.False(GuidanceRamp.IsGuided(GuidanceRamp.Scales(1)));
        Assert.False(GuidanceRamp.IsGuided(GuidanceRamp.Scales(5, 1.0, 1.0)));
        Assert.True(GuidanceRamp.IsGuided(GuidanceRamp.Scales(2)));
    }
}
