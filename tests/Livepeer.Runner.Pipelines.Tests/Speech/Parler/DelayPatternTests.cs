using Livepeer.Runner.Pipelines.Speech.Parler;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Parler;

/// <summary>
/// The delay pattern against a case worked by hand: 3 codebooks, bos B = 1025, pad P = 1024 (codes below 1024), max_length 6. Row k holds B in
/// columns 0…k and P from column 6 − 3 + 1 + k = 4 + k on:
/// <code>
/// B . . . P P
/// B B . . . P
/// B B B . . .
/// </code>
/// </summary>
public sealed class DelayPatternTests
{
    private const int Bos = 1025, Pad = 1024;

    private static readonly DelayPattern Pattern = new(3, 6, Bos, Pad);

    [Fact]
    public void Build_FixesBosBelowTheDiagonal_AndPadInTheLastColumns()
    {
        int?[][] expected =
        [
            [Bos, null, null, null, Pad, Pad],
            [Bos, Bos, null, null, null, Pad],
            [Bos, Bos, Bos, null, null, null],
        ];

        var built = Enumerable.Range(0, 3).Select(k => Enumerable.Range(0, 6).Select(c => Pattern.Fixed(k, c)).ToArray()).ToArray();

        Assert.Equal(expected, built);
    }

    [Fact]
    public void Apply_KeepsTheSampledIdOnlyWhereThePatternIsFree()
    {
        Assert.Equal(Bos, Pattern.Apply(2, 1, 5));
        Assert.Equal(5, Pattern.Apply(2, 3, 5));
        Assert.Equal(Pad, Pattern.Apply(0, 4, 5));
    }

    [Fact]
    public void Revert_OfAFullSequence_MovesCodebookKBackByK()
    {
        // Codes a..i written where the model fills them: frame f of codebook k sits in column f + k + 1.
        int[][] sequence =
        [
            [Bos, 10, 11, 12, 0, 0],
            [Bos, 0, 20, 21, 22, 0],
            [Bos, 0, 0, 30, 31, 32],
        ];

        var frames = Pattern.Revert(sequence, 6);

        Assert.Equal([[10, 11, 12], [20, 21, 22], [30, 31, 32]], frames);
    }

    [Fact]
    public void Revert_OfAShorterSequence_DropsWhatAPatternOfItsLengthFixes()
    {
        // Stopped after 5 columns (2K − 1, the shortest with a pattern): 5 − 3 = 2 frames; the eos (Pad) the first
        // codebook gave stays in and the frame holding it is not decodable.
        int[][] sequence =
        [
            [Bos, 10, Pad, Pad, Pad],
            [Bos, 0, 20, 21, Pad],
            [Bos, 0, 0, 30, 31],
        ];

        var frames = Pattern.Revert(sequence, 5);
        var (codes, count) = DelayPattern.Decodable(frames, 1024);

        Assert.Equal([[10, Pad], [20, 21], [30, 31]], frames);
        Assert.Equal(1, count);
        Assert.Equal([10L, 20, 30], codes);
    }

    [Fact]
    public void Revert_BelowTwoKMinusOneColumns_KeepsEverything_AndOnlyWholeCodeFramesAreDecodable()
    {
        // 4 columns: no pattern of that length, so nothing is dropped; the generation pattern puts B back in the
        // first columns and every frame but the last holds one.
        int[][] sequence =
        [
            [Bos, 10, 11, 12],
            [Bos, 1, 20, 21],
            [Bos, 1, 2, 30],
        ];

        var frames = Pattern.Revert(sequence, 4);
        var (codes, count) = DelayPattern.Decodable(frames, 1024);

        Assert.Equal([[Bos, 10, 11, 12], [Bos, Bos, 20, 21], [Bos, Bos, Bos, 30]], frames);
        Assert.Equal(1, count);
        Assert.Equal([12L, 21, 30], codes);
    }

    [Fact]
    public void AMaxLengthBelowTwoKMinusOne_HasNoPattern()
    {
        var none = new DelayPattern(3, 4, Bos, Pad);

        Assert.All(Enumerable.Range(0, 4), c => Assert.Null(none.Fixed(2, c)));
    }
}
