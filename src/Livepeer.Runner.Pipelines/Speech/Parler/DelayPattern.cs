namespace Livepeer.Runner.Pipelines.Speech.Parler;

/// <summary>
/// Parler-TTS's (and Musicgen's) codebook delay, <c>build_delay_pattern_mask</c> for a start of one bos column: codebook
/// k is k steps behind codebook 0, so in a sequence of <c>maxLength</c> columns row k holds bos in columns 0…k and pad
/// from column <c>maxLength − K + 1 + k</c> on; the columns between are the model's to fill. A sequence shorter than
/// <c>2K − 1</c> columns has no pattern (every position free), as in the reference.
/// </summary>
public sealed class DelayPattern(int codebooks, int maxLength, int bosTokenId, int padTokenId)
{
    /// <summary>What the pattern fixes at (codebook, column), or null where the model's token stands.</summary>
    public int? Fixed(int codebook, int column)
    {
        if (maxLength < (2 * codebooks) - 1)
            return null;
        if (column <= codebook)
            return bosTokenId;
        return column >= maxLength - codebooks + 1 + codebook ? padTokenId : null;
    }

    /// <summary><c>apply_delay_pattern_mask</c> at one position: the fixed id, else the sampled one.</summary>
    public int Apply(int codebook, int column, int sampled) => Fixed(codebook, column) ?? sampled;

    /// <summary>
    /// The end of <c>generate</c>: the pattern applied to the generated <c>[K][columns]</c> ids, then the positions a
    /// pattern of the sequence's own length fixes dropped, giving <c>[K][frames]</c> with codebook k moved back by k.
    /// </summary>
    public int[][] Revert(int[][] sequence, int columns)
    {
        var own = new DelayPattern(codebooks, columns, bosTokenId, padTokenId);
        var frames = new int[codebooks][];
        for (var k = 0; k < codebooks; k++)
        {
            var kept = new List<int>(columns);
            for (var column = 0; column < columns; column++)
            {
                if (own.Fixed(k, column) is null)
                    kept.Add(Apply(k, column, sequence[k][column]));
            }

            frames[k] = [.. kept];
        }

        return frames;
    }

    /// <summary>
    /// The frames the codec can decode: those in which every codebook holds a code (below <paramref name="codebookSize"/>),
    /// as <c>generate</c> keeps them when bos, pad or eos remain; flattened <c>[K, frames]</c>.
    /// </summary>
    public static (long[] Codes, int Frames) Decodable(int[][] frames, int codebookSize)
    {
        var count = frames[0].Length;
        var keep = Enumerable.Range(0, count).Where(f => frames.All(row => row[f] < codebookSize)).ToArray();
        var codes = new long[frames.Length * keep.Length];
        for (var k = 0; k < frames.Length; k++)
        {
            for (var i = 0; i < keep.Length; i++)
                codes[(k * keep.Length) + i] = frames[k][keep[i]];
        }

        return (codes, keep.Length);
    }
}
