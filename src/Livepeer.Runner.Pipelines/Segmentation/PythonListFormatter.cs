namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// Writes a flat row-major float array as Python's <c>str()</c> of the nested list of its shape, one block of values
/// at a time. A block's text depends only on its index range, so blocks can be formatted on several threads and
/// written in order.
/// </summary>
internal static class PythonListFormatter
{
    /// <summary>Most bytes a value can take with the separator or brackets before it (rank ≤ 4: "]]]], [[[[").</summary>
    public const int MaxBytesPerValue = PythonFloat.MaxBytes + 10;

    /// <summary>Most bytes the text of <paramref name="count"/> values can take, the closing brackets included.</summary>
    public static int MaxBytes(int count, int rank) => (count * MaxBytesPerValue) + rank;

    /// <summary>
    /// Writes values <paramref name="start"/> to <paramref name="end"/> (exclusive) with the brackets and separators
    /// before each, and the closing brackets when <paramref name="end"/> is the last; returns the bytes written.
    /// <paramref name="destination"/> must hold <see cref="MaxBytes"/> of the range.
    /// </summary>
    public static int Format(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, long start, long end, Span<byte> destination)
    {
        var rowLength = shape[^1];
        var position = 0;
        var inRow = (int)(start % rowLength);
        for (var index = start; index < end; index++)
        {
            if (inRow == 0)
            {
                position += RowBoundary(shape, index, destination[position..]);
            }
            else
            {
                destination[position] = (byte)',';
                destination[position + 1] = (byte)' ';
                position += 2;
            }

            position += PythonFloat.Write(values[(int)index], destination[position..]);
            if (++inRow == rowLength)
                inRow = 0;
        }

        if (end == values.Length)
        {
            destination.Slice(position, shape.Length).Fill((byte)']');
            position += shape.Length;
        }

        return position;
    }

    /// <summary>Before the first value of a row: every opening bracket, or the brackets that close and reopen levels.</summary>
    private static int RowBoundary(ReadOnlySpan<int> shape, long index, Span<byte> destination)
    {
        var rank = shape.Length;
        if (index == 0)
        {
            destination[..rank].Fill((byte)'[');
            return rank;
        }

        // The number of levels that end here: 1 for a new row, 2 when a new plane starts as well, …
        var levels = 1;
        var span = (long)shape[^1];
        while (levels < rank && index % (span *= shape[rank - levels - 1]) == 0)
            levels++;

        destination[..levels].Fill((byte)']');
        destination[levels] = (byte)',';
        destination[levels + 1] = (byte)' ';
        destination.Slice(levels + 2, levels).Fill((byte)'[');
        return (2 * levels) + 2;
    }
}
