namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Token times from the decoder's cross-attentions, as transformers' <c>_extract_token_timestamps</c> and
/// openai-whisper's <c>find_alignment</c> compute them: the alignment heads' weights over the audio frames (already
/// softmaxed by the model) are normalised per head and frame over the tokens, median-filtered along the frames,
/// averaged over the heads, and aligned to the frames by dynamic time warping on their negatives; a token starts at the
/// first frame its row of the warping path reaches. One encoder frame is 20 ms.
/// </summary>
internal static class CrossAttentionAlignment
{
    /// <summary>
    /// The first frame of each token row. <paramref name="weights"/> is <c>[heads, tokens, frames]</c>, row-major;
    /// it is normalised and filtered in place.
    /// </summary>
    public static int[] TokenStartFrames(float[] weights, int heads, int tokens, int frames, int medianWidth)
    {
        if (weights.Length != heads * tokens * frames)
            throw new ArgumentException($"Expected {heads}×{tokens}×{frames} weights, got {weights.Length}.", nameof(weights));
        Normalize(weights, heads, tokens, frames);
        var row = new float[frames];
        for (var r = 0; r < heads * tokens; r++)
        {
            var span = weights.AsSpan(r * frames, frames);
            MedianFilter(span, row, medianWidth);
            row.CopyTo(span);
        }

        // The mean over heads, negated: DTW finds the path of least cost, i.e. most attention.
        var cost = new float[tokens * frames];
        for (var h = 0; h < heads; h++)
        {
            for (var i = 0; i < cost.Length; i++)
                cost[i] -= weights[(h * tokens * frames) + i] / heads;
        }

        return FirstFrames(Dtw(cost, tokens, frames), tokens);
    }

    /// <summary>
    /// For each head and frame, the weights over the tokens minus their mean, over their (population) standard
    /// deviation. A column that does not vary (std 0) becomes zeros, where torch's division would give NaN.
    /// </summary>
    public static void Normalize(Span<float> weights, int heads, int tokens, int frames)
    {
        // Row by row (contiguous), the per-frame sums kept for all frames at once.
        var mean = new double[frames];
        var scale = new double[frames];
        for (var h = 0; h < heads; h++)
        {
            var head = weights.Slice(h * tokens * frames, tokens * frames);
            Array.Clear(mean);
            Array.Clear(scale);
            for (var t = 0; t < tokens; t++)
            {
                var row = head.Slice(t * frames, frames);
                for (var f = 0; f < frames; f++)
                    mean[f] += row[f];
            }

            for (var f = 0; f < frames; f++)
                mean[f] /= tokens;
            for (var t = 0; t < tokens; t++)
            {
                var row = head.Slice(t * frames, frames);
                for (var f = 0; f < frames; f++)
                {
                    var d = row[f] - mean[f];
                    scale[f] += d * d;
                }
            }

            for (var f = 0; f < frames; f++)
            {
                var std = Math.Sqrt(scale[f] / tokens);
                scale[f] = std > 0 ? 1 / std : 0;
            }

            for (var t = 0; t < tokens; t++)
            {
                var row = head.Slice(t * frames, frames);
                for (var f = 0; f < frames; f++)
                    row[f] = (float)((row[f] - mean[f]) * scale[f]);
            }
        }
    }

    /// <summary>
    /// The median of each odd-width window centred on each value, the edges padded by reflection (torch's
    /// <c>reflect</c>: the edge value itself is not repeated); a row no longer than half the width is copied unchanged.
    /// The window is kept sorted as it slides: one value leaves and one enters per position.
    /// </summary>
    public static void MedianFilter(ReadOnlySpan<float> values, Span<float> filtered, int width)
    {
        if (width <= 0 || width % 2 != 1)
            throw new ArgumentOutOfRangeException(nameof(width), width, "The median filter width must be a positive odd number.");
        var half = width / 2;
        if (values.Length <= half)
        {
            values.CopyTo(filtered);
            return;
        }

        // The row with its reflected edges: position i's window is padded[i .. i + width).
        var padded = new float[values.Length + (2 * half)];
        for (var k = 0; k < padded.Length; k++)
            padded[k] = values[Reflect(k - half, values.Length)];
        Span<float> window = stackalloc float[width];
        for (var i = 0; i < values.Length; i++)
        {
            if (i == 0 || !Replace(window, padded[i - 1], padded[i + width - 1]))
            {
                padded.AsSpan(i, width).CopyTo(window);
                window.Sort();
            }

            filtered[i] = window[half];
        }
    }

    /// <summary>
    /// In a sorted window, replaces one occurrence of <paramref name="leaving"/> by <paramref name="entering"/>, keeping
    /// it sorted; false when it is not found (a NaN), so the caller sorts the window afresh.
    /// </summary>
    private static bool Replace(Span<float> window, float leaving, float entering)
    {
        var at = window.IndexOf(leaving);
        if (at < 0 || float.IsNaN(entering))
            return false;
        while (at > 0 && entering < window[at - 1])
        {
            window[at] = window[at - 1];
            at--;
        }

        while (at < window.Length - 1 && entering > window[at + 1])
        {
            window[at] = window[at + 1];
            at++;
        }

        window[at] = entering;
        return true;
    }

    private static int Reflect(int index, int length) =>
        index < 0 ? -index : index >= length ? (2 * (length - 1)) - index : index;

    /// <summary>
    /// The least-cost monotonic path through <paramref name="cost"/> (<c>[rows, cols]</c>, row-major) from (0, 0) to
    /// the last cell, moving diagonally, down (next row) or right (next column); ties go right unless the diagonal or
    /// the down move is strictly the cheapest, as in transformers' <c>_dynamic_time_warping</c>.
    /// </summary>
    /// <returns>The path's (row, column) cells in order.</returns>
    public static (int[] Rows, int[] Cols) Dtw(ReadOnlySpan<float> cost, int rows, int cols)
    {
        var width = cols + 1;
        var total = new float[(rows + 1) * width];
        var trace = new byte[(rows + 1) * width];
        Array.Fill(total, float.PositiveInfinity);
        total[0] = 0;
        for (var i = 1; i <= rows; i++)
        {
            for (var j = 1; j <= cols; j++)
            {
                var diagonal = total[((i - 1) * width) + j - 1];
                var down = total[((i - 1) * width) + j];
                var right = total[(i * width) + j - 1];
                float best;
                byte move;
                if (diagonal < down && diagonal < right)
                    (best, move) = (diagonal, 0);
                else if (down < diagonal && down < right)
                    (best, move) = (down, 1);
                else
                    (best, move) = (right, 2);
                total[(i * width) + j] = cost[((i - 1) * cols) + j - 1] + best;
                trace[(i * width) + j] = move;
            }
        }

        var pathRows = new List<int>(rows + cols);
        var pathCols = new List<int>(rows + cols);
        int r = rows, c = cols;
        while (r > 0 || c > 0)
        {
            pathRows.Add(r - 1);
            pathCols.Add(c - 1);
            // The first row can only go left and the first column only up.
            var move = r == 0 ? 2 : c == 0 ? 1 : trace[(r * width) + c];
            if (move != 2)
                r--;
            if (move != 1)
                c--;
        }

        pathRows.Reverse();
        pathCols.Reverse();
        return ([.. pathRows], [.. pathCols]);
    }

    /// <summary>The first column the path reaches in each row (where transformers' "jumps" are).</summary>
    private static int[] FirstFrames((int[] Rows, int[] Cols) path, int rows)
    {
        var first = new int[rows];
        var previous = -1;
        for (var k = 0; k < path.Rows.Length; k++)
        {
            var row = path.Rows[k];
            if (row != previous && row >= 0)
                first[row] = Math.Max(path.Cols[k], 0);
            previous = row;
        }

        return first;
    }
}
