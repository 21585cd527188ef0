using System.Numerics;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// The spectrum (bins 0 … N/2) of a real signal of even length N through one complex FFT of N/2: even samples as
/// real parts, odd samples as imaginary parts, then the standard split. Half the work of a complex FFT of N.
/// Not thread-safe (owns scratch).
/// </summary>
internal sealed class RealFft
{
    private readonly MixedRadixFft _half;
    private readonly Complex[] _packed;
    private readonly Complex[] _transformed;
    private readonly Complex[] _twiddles; // e^{-2πik/N}, k ≤ N/2

    public RealFft(int length)
    {
        if (length < 2 || length % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(length), "The length must be even.");
        Length = length;
        _half = new MixedRadixFft(length / 2);
        _packed = new Complex[length / 2];
        _transformed = new Complex[length / 2];
        _twiddles = new Complex[(length / 2) + 1];
        for (var k = 0; k < _twiddles.Length; k++)
            _twiddles[k] = Complex.FromPolarCoordinates(1, -2 * Math.PI * k / length);
    }

    public int Length { get; }

    /// <summary>Writes |X[k]|² for k = 0 … N/2 into <paramref name="power"/>.</summary>
    public void Power(ReadOnlySpan<float> input, Span<float> power)
    {
        var half = Length / 2;
        if (input.Length != Length || power.Length != half + 1)
            throw new ArgumentException($"input must hold {Length} values and power {half + 1}.");
        for (var n = 0; n < half; n++)
            _packed[n] = new Complex(input[2 * n], input[(2 * n) + 1]);
        _half.Forward(_packed, _transformed);

        for (var k = 0; k <= half; k++)
        {
            var z = _transformed[k % half];
            var mirror = Complex.Conjugate(_transformed[(half - k) % half]);
            var even = (z + mirror) * 0.5;
            var odd = (z - mirror) * new Complex(0, -0.5);
            var x = even + (_twiddles[k] * odd);
            power[k] = (float)((x.Real * x.Real) + (x.Imaginary * x.Imaginary));
        }
    }
}
