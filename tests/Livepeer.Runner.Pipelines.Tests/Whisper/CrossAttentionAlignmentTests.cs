using Livepeer.Runner.Pipelines.Whisper;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>The median filter, normalisation and DTW of word timestamps on matrices small enough to work out by hand.</summary>
public sealed class CrossAttentionAlignmentTests
{
    private static float[] Median(float[] values, int width)
    {
        var filtered = new float[values.Length];
        CrossAttentionAlignment.MedianFilter(values, filtered, width);
        return filtered;
    }

    [Fact]
    public void MedianFilter_Width3_ReflectsAtTheEdges()
    {
        // Padded by reflection: [5 | 1 5 2 8 3 | 8]; medians of (5,1,5) (1,5,2) (5,2,8) (2,8,3) (8,3,8).
        Assert.Equal([5f, 2f, 5f, 3f, 8f], Median([1, 5, 2, 8, 3], 3));
    }

    [Fact]
    public void MedianFilter_Width5_TakesTheMiddleOfFive()
    {
        // [4 1 | 3 1 4 1 5 | 1 4]: (4,1,3,1,4) → 3, (1,3,1,4,1) → 1, (3,1,4,1,5) → 3, (1,4,1,5,1) → 1, (4,1,5,1,4) → 4.
        Assert.Equal([3f, 1f, 3f, 1f, 4f], Median([3, 1, 4, 1, 5], 5));
    }

    [Fact]
    public void MedianFilter_RowNoLongerThanHalfTheWidth_IsUnchanged()
    {
        Assert.Equal([2f, 9f, 4f], Median([2, 9, 4], 7));
    }

    [Fact]
    public void MedianFilter_SlidingWindow_MatchesSortingEachWindow()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 300).Select(_ => (float)random.Next(0, 20)).ToArray(); // many repeats
        var expected = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var window = Enumerable.Range(i - 3, 7).Select(k => values[k < 0 ? -k : k >= values.Length ? (2 * (values.Length - 1)) - k : k]).Order().ToArray();
            expected[i] = window[3];
        }

        Assert.Equal(expected, Median(values, 7));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void MedianFilter_WidthNotOddAndPositive_IsRefused(int width)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Median([1, 2, 3], width));
    }

    [Fact]
    public void Normalize_EachFrameOverTheTokens_MeanZeroStdOne()
    {
        // One head, tokens 2, frames 2: frame 0 holds (1, 3) → mean 2, std 1; frame 1 is constant → zeros.
        float[] weights = [1, 5, 3, 5];
        CrossAttentionAlignment.Normalize(weights, heads: 1, tokens: 2, frames: 2);
        Assert.Equal([-1f, 0f, 1f, 0f], weights);
    }

    [Fact]
    public void Dtw_FollowsTheCheapestPath()
    {
        // Cost [[0 1 1], [1 0 0]]: row 0 takes frame 0, row 1 frames 1 and 2 (total 0).
        var (rows, cols) = CrossAttentionAlignment.Dtw([0, 1, 1, 1, 0, 0], rows: 2, cols: 3);
        Assert.Equal([0, 1, 1], rows);
        Assert.Equal([0, 1, 2], cols);
    }

    [Fact]
    public void Dtw_TokenSpanningFrames_StaysOnItsRow()
    {
        // Cost [[0 0 5 5], [5 5 0 0]]: each row takes two frames.
        var (rows, cols) = CrossAttentionAlignment.Dtw([0, 0, 5, 5, 5, 5, 0, 0], rows: 2, cols: 4);
        Assert.Equal([0, 0, 1, 1], rows);
        Assert.Equal([0, 1, 2, 3], cols);
    }

    [Fact]
    public void Dtw_OnATie_MovesAlongTheFrames()
    {
        // All zeros: at the last cell the three moves tie and the frame move wins, so row 1 starts at frame 0.
        var (rows, cols) = CrossAttentionAlignment.Dtw([0, 0, 0, 0], rows: 2, cols: 2);
        Assert.Equal([0, 1, 1], rows);
        Assert.Equal([0, 0, 1], cols);
    }

    [Fact]
    public void TokenStartFrames_BlockDiagonalAttention_StartsEachTokenAtItsBlock()
    {
        // Head 0: token t attends to frames 2t and 2t+1. Head 1 attends uniformly: constant columns normalise to zero,
        // so the mean over heads keeps head 0's path.
        const int tokens = 3, frames = 6;
        var weights = new float[2 * tokens * frames];
        for (var t = 0; t < tokens; t++)
        {
            weights[(t * frames) + (2 * t)] = 1;
            weights[(t * frames) + (2 * t) + 1] = 1;
        }

        Array.Fill(weights, 1f / frames, tokens * frames, tokens * frames);

        Assert.Equal([0, 2, 4], CrossAttentionAlignment.TokenStartFrames(weights, heads: 2, tokens, frames, medianWidth: 3));
    }
}
