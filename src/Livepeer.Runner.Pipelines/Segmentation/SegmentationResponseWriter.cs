using System.Buffers;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// Writes a <see cref="SegmentationResult"/> as the contract's <c>MasksResponse</c>,
/// <c>{"masks":"[[[…]]]","scores":"[…]","logits":"[[[…]]]"}</c>: each value is the Python <c>str()</c> of the nested
/// list (<c>", "</c> separators, floats as <see cref="PythonFloat"/>). The text is produced in chunks straight into
/// the destination, never as one string: a 1024² three-mask response is about 70 MB. The list text needs no JSON
/// escaping (digits, signs, <c>.e[], </c>, <c>nan</c>, <c>inf</c>).
/// </summary>
public static class SegmentationResponseWriter
{
    public const string ContentType = "application/json";

    private const int ChunkBytes = 64 * 1024;

    /// <summary>Writes the whole response to <paramref name="writer"/> (a PipeWriter, an ArrayBufferWriter…).</summary>
    public static void Write(SegmentationResult result, IBufferWriter<byte> writer)
    {
        var cursor = new ResponseCursor(result);
        while (!cursor.Done)
        {
            var span = writer.GetSpan(ChunkBytes);
            writer.Advance(cursor.Fill(span));
        }
    }

    /// <summary>Writes the whole response to <paramref name="stream"/> in 64 KiB chunks (an HTTP response body).</summary>
    public static async Task WriteAsync(SegmentationResult result, Stream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var cursor = new ResponseCursor(result);
            while (!cursor.Done)
            {
                var written = cursor.Fill(buffer);
                await stream.WriteAsync(buffer.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The response as one string: for tests and small results only.</summary>
    public static string ToJson(SegmentationResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(result, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Where the writing stands: which part of the object, and how far into its list.</summary>
    private sealed class ResponseCursor(SegmentationResult result)
    {
        private readonly Part[] _parts =
        [
            new("{\"masks\":\""u8.ToArray()),
            new(result.Masks, [result.Count, result.Height, result.Width]),
            new("\",\"scores\":\""u8.ToArray()),
            new(result.Scores, [result.Count]),
            new("\",\"logits\":\""u8.ToArray()),
            new(result.Logits, [result.Count, SegmentationResult.LogitSide, SegmentationResult.LogitSide]),
            new("\"}"u8.ToArray()),
        ];

        private int _part;

        public bool Done => _part == _parts.Length;

        /// <summary>Fills as much of <paramref name="destination"/> as whole tokens allow; returns the bytes written.</summary>
        public int Fill(Span<byte> destination)
        {
            var written = 0;
            while (_part < _parts.Length)
            {
                if (!_parts[_part].Fill(destination, ref written))
                    break;
                _part++;
            }

            return written;
        }
    }

    /// <summary>A literal, or a float array written as a nested Python list of the given shape.</summary>
    private sealed class Part
    {
        /// <summary>Room kept for one value with the brackets and separator around it.</summary>
        private const int Margin = PythonFloat.MaxBytes + 16;

        private readonly byte[]? _literal;
        private readonly float[] _values = [];
        private readonly int[] _shape = [];
        private readonly int _rowLength;
        private long _next;
        private bool _closed;

        public Part(byte[] literal) => _literal = literal;

        public Part(float[] values, int[] shape)
        {
            _values = values;
            _shape = shape;
            _rowLength = shape[^1];
        }

        /// <summary>Writes what fits from <paramref name="written"/> on; true once the part is complete.</summary>
        public bool Fill(Span<byte> destination, ref int written)
        {
            if (_literal is not null)
            {
                if (destination.Length - written < _literal.Length)
                    return false;
                _literal.CopyTo(destination[written..]);
                written += _literal.Length;
                return true;
            }

            var values = _values;
            var position = written;
            var limit = destination.Length - Margin;
            var next = _next;
            var rowLength = _rowLength;
            var inRow = (int)(next % rowLength);
            while (next < values.LongLength && position <= limit)
            {
                if (inRow == 0)
                {
                    position += RowBoundary(destination[position..], next);
                }
                else
                {
                    destination[position] = (byte)',';
                    destination[position + 1] = (byte)' ';
                    position += 2;
                }

                position += PythonFloat.Write(values[next], destination[position..]);
                next++;
                if (++inRow == rowLength)
                    inRow = 0;
            }

            _next = next;
            written = position;
            if (next < values.LongLength || position > limit)
                return false;
            if (!_closed)
            {
                destination.Slice(written, _shape.Length).Fill((byte)']');
                written += _shape.Length;
                _closed = true;
            }

            return true;
        }

        /// <summary>Before the first value of a row: the opening brackets, or the brackets that close and open levels between rows.</summary>
        private int RowBoundary(Span<byte> destination, long index)
        {
            var rank = _shape.Length;
            var levels = rank; // the very first value opens every level
            if (index > 0)
            {
                levels = 1;
                var span = (long)_rowLength;
                while (levels < rank && index % (span *= _shape[rank - levels - 1]) == 0)
                    levels++;
            }

            var at = 0;
            if (index > 0)
            {
                destination[..(levels - 0)].Fill((byte)']');
                at = levels;
                destination[at] = (byte)',';
                destination[at + 1] = (byte)' ';
                at += 2;
            }

            destination.Slice(at, levels).Fill((byte)'[');
            return at + levels;
        }
    }
}
