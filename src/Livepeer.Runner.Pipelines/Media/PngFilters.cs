using System.Runtime.Intrinsics;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// PNG row filters for 8-bit RGB (3 bytes a pixel; PNG spec §9), vectorised. Encoding reads only raw pixels, so
/// unlike decoding every byte is independent. Each filter also returns the row's cost for libpng's heuristic:
/// the sum of the filtered bytes taken as signed magnitudes, the smallest sum usually compressing best.
/// </summary>
internal static class PngFilters
{
    public const int Bpp = 3;
    public const byte None = 0, Sub = 1, Up = 2, Average = 3, Paeth = 4;

    /// <summary>Writes the filter-type byte and the filtered row to <paramref name="target"/> (row + 1 bytes).</summary>
    /// <param name="scratch">At least 4 × row length, for the candidates not yet chosen.</param>
    public static void FilterRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, Span<byte> target, Span<byte> scratch)
    {
        var n = row.Length;
        var sub = scratch[..n];
        var up = scratch.Slice(n, n);
        var average = scratch.Slice(2 * n, n);
        var paeth = scratch.Slice(3 * n, n);

        var best = None;
        var bestCost = Cost(row);
        Consider(SubRow(row, sub), Sub, ref best, ref bestCost);
        Consider(UpRow(row, prior, up), Up, ref best, ref bestCost);
        Consider(AverageRow(row, prior, average), Average, ref best, ref bestCost);
        Consider(PaethRow(row, prior, paeth), Paeth, ref best, ref bestCost);

        target[0] = best;
        var chosen = best switch { Sub => sub, Up => up, Average => average, Paeth => paeth, _ => row };
        chosen.CopyTo(target[1..]);
    }

    private static void Consider(ulong cost, byte filter, ref byte best, ref ulong bestCost)
    {
        if (cost < bestCost)
        {
            bestCost = cost;
            best = filter;
        }
    }

    private static ulong Cost(ReadOnlySpan<byte> row)
    {
        var acc = new CostAccumulator();
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 32 <= row.Length; x += 32)
                acc.Add(Vector256.Create(row.Slice(x, 32)));
        }

        var total = acc.Total;
        for (; x < row.Length; x++)
            total += Magnitude(row[x]);
        return total;
    }

    public static ulong SubRow(ReadOnlySpan<byte> row, Span<byte> output)
    {
        var acc = new CostAccumulator();
        var total = 0UL;
        var x = 0;
        for (; x < Math.Min(Bpp, row.Length); x++)
            total += Magnitude(output[x] = row[x]);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 32 <= row.Length; x += 32)
            {
                var filtered = Vector256.Create(row.Slice(x, 32)) - Vector256.Create(row.Slice(x - Bpp, 32));
                filtered.CopyTo(output[x..]);
                acc.Add(filtered);
            }
        }

        for (; x < row.Length; x++)
            total += Magnitude(output[x] = (byte)(row[x] - row[x - Bpp]));
        return total + acc.Total;
    }

    public static ulong UpRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, Span<byte> output)
    {
        var acc = new CostAccumulator();
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 32 <= row.Length; x += 32)
            {
                var filtered = Vector256.Create(row.Slice(x, 32)) - Vector256.Create(prior.Slice(x, 32));
                filtered.CopyTo(output[x..]);
                acc.Add(filtered);
            }
        }

        var total = acc.Total;
        for (; x < row.Length; x++)
            total += Magnitude(output[x] = (byte)(row[x] - prior[x]));
        return total;
    }

    public static ulong AverageRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, Span<byte> output)
    {
        var acc = new CostAccumulator();
        var total = 0UL;
        var x = 0;
        for (; x < Math.Min(Bpp, row.Length); x++)
            total += Magnitude(output[x] = (byte)(row[x] - (prior[x] >> 1)));
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 32 <= row.Length; x += 32)
            {
                var left = Vector256.Create(row.Slice(x - Bpp, 32));
                var above = Vector256.Create(prior.Slice(x, 32));
                // ⌊(a + b) / 2⌋ without widening: (a & b) + ((a ^ b) >> 1).
                var mean = (left & above) + Vector256.ShiftRightLogical(left ^ above, 1);
                var filtered = Vector256.Create(row.Slice(x, 32)) - mean;
                filtered.CopyTo(output[x..]);
                acc.Add(filtered);
            }
        }

        for (; x < row.Length; x++)
            total += Magnitude(output[x] = (byte)(row[x] - ((row[x - Bpp] + prior[x]) >> 1)));
        return total + acc.Total;
    }

    public static ulong PaethRow(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, Span<byte> output)
    {
        var acc = new CostAccumulator();
        var total = 0UL;
        var x = 0;
        // No left neighbour: a = c = 0, so Paeth predicts the byte above.
        for (; x < Math.Min(Bpp, row.Length); x++)
            total += Magnitude(output[x] = (byte)(row[x] - prior[x]));
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 32 <= row.Length; x += 32)
            {
                var a = Vector256.Create(row.Slice(x - Bpp, 32));
                var b = Vector256.Create(prior.Slice(x, 32));
                var c = Vector256.Create(prior.Slice(x - Bpp, 32));
                var (aLow, aHigh) = Vector256.Widen(a);
                var (bLow, bHigh) = Vector256.Widen(b);
                var (cLow, cHigh) = Vector256.Widen(c);
                var predictor = Vector256.Narrow(
                    Predict(aLow.AsInt16(), bLow.AsInt16(), cLow.AsInt16()).AsUInt16(),
                    Predict(aHigh.AsInt16(), bHigh.AsInt16(), cHigh.AsInt16()).AsUInt16());
                var filtered = Vector256.Create(row.Slice(x, 32)) - predictor;
                filtered.CopyTo(output[x..]);
                acc.Add(filtered);
            }
        }

        for (; x < row.Length; x++)
            total += Magnitude(output[x] = (byte)(row[x] - Predict(row[x - Bpp], prior[x], prior[x - Bpp])));
        return total + acc.Total;
    }

    // p = a + b − c; the nearest of a, b, c to p, ties in that order (PNG spec §9.4).
    private static Vector256<short> Predict(Vector256<short> a, Vector256<short> b, Vector256<short> c)
    {
        var pa = Vector256.Abs(b - c);
        var pb = Vector256.Abs(a - c);
        var pc = Vector256.Abs(b - c + a - c);
        var takeA = Vector256.LessThanOrEqual(pa, pb) & Vector256.LessThanOrEqual(pa, pc);
        var takeB = Vector256.LessThanOrEqual(pb, pc);
        return Vector256.ConditionalSelect(takeA, a, Vector256.ConditionalSelect(takeB, b, c));
    }

    private static byte Predict(byte a, byte b, byte c)
    {
        var pa = Math.Abs(b - c);
        var pb = Math.Abs(a - c);
        var pc = Math.Abs(a + b - c - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static uint Magnitude(byte value) => value < 128 ? value : 256u - value;

    /// <summary>Sums |signed byte| over vectors in 16-bit lanes, spilling to 64 bits before a lane can overflow.</summary>
    private struct CostAccumulator
    {
        private Vector256<ushort> _lanes;
        private int _pending;
        private ulong _spilled;

        public readonly ulong Total => _spilled + Vector256.Sum(Vector256.WidenLower(_lanes)) + Vector256.Sum(Vector256.WidenUpper(_lanes));

        public void Add(Vector256<byte> filtered)
        {
            var magnitude = Vector256.Abs(filtered.AsSByte()).AsByte(); // |−128| wraps to 0x80 = 128, as wanted
            var (low, high) = Vector256.Widen(magnitude);
            _lanes += low + high; // ≤ 510 a lane per call
            if (++_pending == 128)
            {
                _spilled += Vector256.Sum(Vector256.WidenLower(_lanes)) + Vector256.Sum(Vector256.WidenUpper(_lanes));
                _lanes = Vector256<ushort>.Zero;
                _pending = 0;
            }
        }
    }
}
