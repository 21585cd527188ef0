using Livepeer.Runner.Pipelines.Segmentation;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>From the decoder's candidates to the contract's arrays, on hand-made logits.</summary>
public sealed class MaskSelectionTests
{
    private const int Plane = 256 * 256;

    private static ResolvedPrompt Prompt(bool multimask, bool returnLogits = true, int width = 8, int height = 4) =>
        new(width, height, [1, 1], [1], null, null, multimask, returnLogits);

    /// <summary>Candidate k's low-res logits are all <c>values[k]</c>.</summary>
    private static DecodedMasks Candidates(float[] scores, params float[] values)
    {
        var lowRes = new float[values.Length * Plane];
        for (var k = 0; k < values.Length; k++)
            lowRes.AsSpan(k * Plane, Plane).Fill(values[k]);
        return new DecodedMasks(values.Length, lowRes, null, scores);
    }

    [Theory]
    [InlineData(true, new[] { 1, 2, 3 })]
    [InlineData(false, new[] { 0 })]
    public void FourSamTokens_AreSingleMaskFirstThenThreeMultimask(bool multimask, int[] expected)
    {
        Assert.Equal(expected.OrderByDescending(i => i), MaskSelection.Choose(4, [0.1f, 0.2f, 0.3f, 0.4f], multimask));
    }

    [Fact]
    public void ThreeCandidates_WithoutMultimask_GiveTheBestOne()
    {
        Assert.Equal([1], MaskSelection.Choose(3, [0.2f, 0.9f, 0.5f], multimask: false));
    }

    [Fact]
    public void Build_SortsByScoreAndKeepsEachMaskWithItsScore()
    {
        var decoded = Candidates([0.2f, 0.9f, 0.5f], 1f, 2f, 3f);

        var result = MaskSelection.Build(decoded, MaskSelection.Choose(3, decoded.Scores, true), Prompt(multimask: true));

        Assert.Equal([0.9f, 0.5f, 0.2f], result.Scores);
        Assert.Equal([2f, 3f, 1f], [result.Logit(0)[0], result.Logit(1)[0], result.Logit(2)[0]]);
        Assert.All(result.Mask(0).ToArray(), v => Assert.Equal(2f, v, 1e-6f));
    }

    [Fact]
    public void Build_ClampsLogitsTo32ButNotTheFullSizeMasks()
    {
        var decoded = Candidates([0.5f, 0.4f], 80f, -1000f);

        var result = MaskSelection.Build(decoded, [0, 1], Prompt(multimask: true));

        Assert.All(result.Logit(0).ToArray(), v => Assert.Equal(32f, v));
        Assert.All(result.Logit(1).ToArray(), v => Assert.Equal(-32f, v));
        Assert.All(result.Mask(0).ToArray(), v => Assert.Equal(80f, v, 1e-4f)); // SAM 2 upsamples before it clamps
    }

    [Fact]
    public void Build_WithoutLogits_ThresholdsAtZero()
    {
        var decoded = Candidates([0.5f, 0.4f], 0.25f, -0.25f);

        var result = MaskSelection.Build(decoded, [0, 1], Prompt(multimask: true, returnLogits: false));

        Assert.All(result.Mask(0).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(result.Mask(1).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(0.25f, result.Logit(0)[0]);
    }
}
