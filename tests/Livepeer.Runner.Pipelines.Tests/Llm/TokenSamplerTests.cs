using Livepeer.Runner.Pipelines.Llm;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

public sealed class TokenSamplerTests
{
    private static readonly float[] Logits = [0.1f, 3.0f, -1.0f, 2.5f, 0.0f, 2.0f, -3.0f, 1.0f];

    [Fact]
    public void Greedy_IsTheArgMax()
    {
        Assert.Equal(1, new TokenSampler(0, 1, -1, null).Next(Logits));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void TopK_DrawsOnlyTheKMostLikely_AndEachOfThem(int k)
    {
        int[] byLikelihood = [1, 3, 5, 7, 0, 4, 2, 6];
        var sampler = new TokenSampler(1.5, 1, k, seed: 11);

        var drawn = Enumerable.Range(0, 3000).Select(_ => sampler.Next(Logits)).ToHashSet();

        Assert.Equal(byLikelihood[..k].Order(), drawn.Order());
    }

    [Fact]
    public void TopP_WithinTopK_KeepsTheSmallestPrefixReachingTheMass()
    {
        // Softmax at temperature 1: token 1 ≈ 0.45, token 3 ≈ 0.27, token 5 ≈ 0.16; 0.45 + 0.27 reaches 0.7.
        var sampler = new TokenSampler(1, 0.7, 5, seed: 3);

        var drawn = Enumerable.Range(0, 3000).Select(_ => sampler.Next(Logits)).ToHashSet();

        Assert.Equal([1, 3], drawn.Order());
    }

    [Fact]
    public void SameSeed_DrawsTheSameSequence_WithOrWithoutTopK()
    {
        foreach (var k in (int[])[-1, 4])
        {
            var first = new TokenSampler(1, 0.95, k, seed: 42);
            var second = new TokenSampler(1, 0.95, k, seed: 42);
            Assert.Equal(Enumerable.Range(0, 200).Select(_ => first.Next(Logits)), Enumerable.Range(0, 200).Select(_ => second.Next(Logits)));
        }
    }
}
