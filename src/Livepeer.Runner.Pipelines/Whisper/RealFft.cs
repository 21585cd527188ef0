namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// The power spectrum (bins 0 … N/2) of a real signal of even length N through one complex FFT of N/2: even samples
/// as real parts, odd samples as imaginary parts, then the standard split X[k] = E[k] + e^{-2πik/N}·O[k]. Half the
/// work of a complex FFT of N. Not thread-safe (owns scratch).
/// </summary>
internal sealed class RealFft
{
    private readonly StockhamFft _half;
    private readonly float[] _re;
    private readonly float[] _im;
    private readonly float[] _twiddleRe; // e^{-2πik/N}, k ≤ N/2
    private readonly float[] _twiddleIm;

    public RealFft(int length)
    {
        if (length < 2 || length % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(length), "The length must be even.");
        Length = length;
        var half = length / 2;
        _half = new StockhamFft(half);
        _re = new float[half];
        _im = new float[half];
        _twiddleRe = new float[half + 1];
        _twiddleIm = new float[half + 1];
        for (var k = 0; k <= half; k++)
        {
            _twiddleRe[k] = (float)Math.Cos(-2 * Math.PI * k / length);
            _twiddleIm[k] = (float)Math.Sin(-2 * Math.PI * k / length);
        }
    }

    public int Length { get; }

    /// <summary>Writes |X[k]|² for k = 0 … N/2 into <paramref name="power"/>.</summary>
    public void Power(ReadOnlySpan<float> input, Span<float> power)
    {
        var half = Length / 2;
        if (input.Length != Length || power.Length != half + 1)
            throw new ArgumentException($"input must hold {Length} values and power {half + 1}.");
        for (var n = 0; n < half; n++)
        {
            _re[n] = input[2 * n];
            _im[n] = input[(2 * n) + 1];
        }

        _half.Forward(_re, _im);

        // Z[k] and conj(Z[N/2 − k]) give the spectra of the even (E) and odd (O) samples.
        for (var k = 0; k <= half; k++)
        {
            int at = k == half ? 0 : k, mirror = k == 0 ? 0 : half - k;
            float zRe = _re[at], zIm = _im[at], mRe = _re[mirror], mIm = -_im[mirror];
            float evenRe = 0.5f * (zRe + mRe), evenIm = 0.5f * (zIm + mIm);
            float oddRe = 0.5f * (zIm - mIm), oddIm = -0.5f * (zRe - mRe); // (z − m)·(−i/2)
            var xRe = evenRe + (_twiddleRe[k] * oddRe) - (_twiddleIm[k] * oddIm);
            var xIm = evenIm + (_twiddleRe[k] * oddIm) + (_twiddleIm[k] * oddRe);
            power[k] = (xRe * xRe) + (xIm * xIm);
        }
    }
}
