using System.Runtime.Intrinsics;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// zlib's Adler-32 (RFC 1950 §8.2), vectorised, with the combination that joins the checksums of two adjacent
/// pieces: each band of a parallel PNG encode checksums its own filtered rows and the stream trailer joins them.
/// </summary>
internal static class Adler32
{
    private const uint Base = 65521;

    // Largest n for which 255·n·(n+1)/2 + (n+1)·(Base−1) fits in 32 bits (zlib's NMAX), rounded down to 32s.
    private const int MaxBlock = 5536;

    public const uint Initial = 1;

    public static uint Update(uint adler, ReadOnlySpan<byte> data)
    {
        uint s1 = adler & 0xFFFF, s2 = adler >> 16;
        while (data.Length > 0)
        {
            var block = Math.Min(data.Length, MaxBlock);
            var chunk = data[..block];
            var i = 0;
            if (Vector256.IsHardwareAccelerated && block >= 32)
                i = Vector32(chunk, ref s1, ref s2);
            for (; i < chunk.Length; i++)
            {
                s1 += chunk[i];
                s2 += s1;
            }

            s1 %= Base;
            s2 %= Base;
            data = data[block..];
        }

        return (s2 << 16) | s1;
    }

    /// <summary>
    /// Over a block of 32 bytes b₀…b₃₁: s1 gains Σb, s2 gains 32·s1 + Σ(32−k)·b_k. Lane sums are kept wide enough
    /// for a MaxBlock run without a modulo.
    /// </summary>
    private static int Vector32(ReadOnlySpan<byte> chunk, ref uint s1, ref uint s2)
    {
        var weightsLow = Vector256.Create((ushort)32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17);
        var weightsHigh = Vector256.Create((ushort)16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        var sumBytes = Vector256<uint>.Zero;  // Σb per lane
        var sumWeighted = Vector256<uint>.Zero; // Σ(32−k)·b_k per lane
        var sumPrefix = Vector256<uint>.Zero;  // Σ over earlier blocks of their byte sums (times 32 below)
        var i = 0;
        for (; i + 32 <= chunk.Length; i += 32)
        {
            var bytes = Vector256.Create(chunk.Slice(i, 32));
            var (low, high) = Vector256.Widen(bytes);
            sumPrefix += sumBytes;
            var wide = low + high;
            var (wl, wh) = Vector256.Widen(wide);
            sumBytes += wl + wh;
            var weighted = (low * weightsLow) + (high * weightsHigh); // ≤ 255·(32+16) per lane: fits 16 bits
            var (pl, ph) = Vector256.Widen(weighted);
            sumWeighted += pl + ph;
        }

        // 32·Σprefix can pass 2³²: sum in 64 bits and reduce.
        var blocks = (ulong)(i / 32);
        s2 = (uint)((s2 + (s1 * 32UL * blocks) + (32UL * Vector256.Sum(sumPrefix)) + Vector256.Sum(sumWeighted)) % Base);
        s1 = (s1 + Vector256.Sum(sumBytes)) % Base;
        return i;
    }

    /// <summary>The Adler-32 of A‖B from adler(A), adler(B) and |B|.</summary>
    public static uint Combine(uint first, uint second, long secondLength)
    {
        // s1(AB) = s1(A) + s1(B) − 1; s2(AB) = s2(A) + s2(B) + |B|·(s1(A) − 1), all mod Base.
        var n = (ulong)(secondLength % Base);
        ulong a1 = first & 0xFFFF, a2 = first >> 16, b1 = second & 0xFFFF, b2 = second >> 16;
        var s1 = (a1 + b1 + Base - 1) % Base;
        var s2 = (a2 + b2 + (n * ((a1 + Base - 1) % Base))) % Base;
        return (uint)((s2 << 16) | s1);
    }
}
