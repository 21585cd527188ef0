using System.Numerics;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// A complex FFT of any length whose prime factors are small (Whisper's n_fft = 400 = 4·4·5·5): recursive
/// Cooley–Tukey decimation in time, one small naive DFT per factor. A radix-2 FFT on 512 with zero padding would
/// compute a different spectrum (other bin frequencies), so the exact 400-point transform is needed.
/// Not thread-safe: one instance per thread (it owns its scratch).
/// </summary>
internal sealed class MixedRadixFft
{
    private readonly int[] _factors;
    private readonly Complex[] _twiddles; // e^{-2πi j/N}, j < N
    private readonly Complex[] _scratch;

    public MixedRadixFft(int length)
    {
        Length = length;
        _factors = Factor(length);
        _twiddles = new Complex[length];
        for (var j = 0; j < length; j++)
            _twiddles[j] = Complex.FromPolarCoordinates(1, -2 * Math.PI * j / length);
        _scratch = new Complex[_factors.Max()];
    }

    public int Length { get; }

    /// <summary>Forward transform: <paramref name="output"/>[k] = Σ_n input[n]·e^{-2πi kn/N}.</summary>
    public void Forward(ReadOnlySpan<Complex> input, Span<Complex> output)
    {
        if (input.Length != Length || output.Length != Length)
            throw new ArgumentException($"Both spans must hold {Length} values.");
        Transform(input, 1, output, Length, 0);
    }

    private void Transform(ReadOnlySpan<Complex> input, int stride, Span<Complex> output, int n, int factorIndex)
    {
        if (n == 1)
        {
            output[0] = input[0];
            return;
        }

        var p = _factors[factorIndex];
        var m = n / p;
        // Sub-transforms of the p interleaved subsequences, stored one after the other.
        for (var q = 0; q < p; q++)
            Transform(input[(q * stride)..], stride * p, output.Slice(q * m, m), m, factorIndex + 1);

        // Butterflies: X[k + r·m] = Σ_q (Y_q[k]·W_n^{qk})·W_p^{qr}. The p values read and written share positions.
        var step = Length / n; // W_n^j = W_N^{j·N/n}
        var pStep = Length / p;
        var t = _scratch.AsSpan(0, p);
        for (var k = 0; k < m; k++)
        {
            for (var q = 0; q < p; q++)
                t[q] = output[(q * m) + k] * _twiddles[(q * k * step) % Length];
            for (var r = 0; r < p; r++)
            {
                var sum = t[0];
                for (var q = 1; q < p; q++)
                    sum += t[q] * _twiddles[(q * r * pStep) % Length];
                output[(r * m) + k] = sum;
            }
        }
    }

    private static int[] Factor(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var factors = new List<int>();
        foreach (var f in (int[])[4, 2, 3, 5])
        {
            while (n % f == 0)
            {
                factors.Add(f);
                n /= f;
            }
        }

        for (var f = 7; n > 1; f += 2)
        {
            while (n % f == 0)
            {
                factors.Add(f);
                n /= f;
            }
        }

        return factors.Count == 0 ? [1] : [.. factors];
    }
}
