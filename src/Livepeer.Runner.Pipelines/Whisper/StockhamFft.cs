namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// A complex single-precision FFT of any length, for lengths whose prime factors are small (Whisper's half-length
/// transform of 200 = 4·2·5·5): the Stockham autosort formulation, one pass per factor, each pass reading one buffer and
/// writing the other in natural order, so there is no recursion and no bit-reversal. Radix 2, 4 and 5 passes are
/// written out; any other factor runs a small DFT. Real and imaginary parts live in separate arrays, and every
/// twiddle is computed once at construction. A radix-2 FFT on 512 with zero padding would compute other bin
/// frequencies, so the exact 400-point transform is needed. Not thread-safe: one instance per thread (it owns scratch).
/// </summary>
internal sealed class StockhamFft
{
    private readonly Pass[] _passes;
    private readonly float[] _re;
    private readonly float[] _im;

    public StockhamFft(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        Length = length;
        var span = 1;
        _passes = [.. Factor(length).Select(radix =>
        {
            var pass = new Pass(radix, span, length);
            span *= radix;
            return pass;
        })];
        _re = new float[length];
        _im = new float[length];
    }

    public int Length { get; }

    /// <summary>In place: (re, im)[k] becomes Σ_n (re, im)[n]·e^{-2πi kn/N}.</summary>
    public void Forward(Span<float> re, Span<float> im)
    {
        if (re.Length != Length || im.Length != Length)
            throw new ArgumentException($"Both spans must hold {Length} values.");

        // Passes alternate between the caller's buffers and the scratch; an odd count ends with a copy back.
        Span<float> fromRe = re, fromIm = im, toRe = _re, toIm = _im;
        foreach (var pass in _passes)
        {
            pass.Run(fromRe, fromIm, toRe, toIm);
            var swapRe = fromRe;
            fromRe = toRe;
            toRe = swapRe;
            var swapIm = fromIm;
            fromIm = toIm;
            toIm = swapIm;
        }

        if (_passes.Length % 2 == 1)
        {
            fromRe.CopyTo(re);
            fromIm.CopyTo(im);
        }
    }

    private static int[] Factor(int n)
    {
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

        return [.. factors];
    }

    /// <summary>
    /// One radix-R pass over sub-transforms of size <c>span</c> (the product of the radices before it): for j &lt; N/R,
    /// with k = j mod span, the R inputs x[j + r·N/R] times w^{r·k} (w = e^{-2πi/(span·R)}) go through a DFT of R and
    /// land at (j − k)·R + k + r·span.
    /// </summary>
    private sealed class Pass
    {
        private const float Cos1 = 0.309016994374947f; // cos(2π/5)
        private const float Cos2 = -0.809016994374947f; // cos(4π/5)
        private const float Sin1 = 0.951056516295154f; // sin(2π/5)
        private const float Sin2 = 0.587785252292473f; // sin(4π/5)

        private readonly int _radix;
        private readonly int _span;
        private readonly int _stride; // N / R
        private readonly float[] _twiddleRe; // [span, R]: w^{r·k}
        private readonly float[] _twiddleIm;
        private readonly float[] _rootRe; // [R, R]: e^{-2πi rq/R}, for the general radix only
        private readonly float[] _rootIm;

        public Pass(int radix, int span, int length)
        {
            _radix = radix;
            _span = span;
            _stride = length / radix;
            _twiddleRe = new float[span * radix];
            _twiddleIm = new float[span * radix];
            for (var k = 0; k < span; k++)
            {
                for (var r = 0; r < radix; r++)
                {
                    var angle = -2 * Math.PI * r * k / (span * radix);
                    _twiddleRe[(k * radix) + r] = (float)Math.Cos(angle);
                    _twiddleIm[(k * radix) + r] = (float)Math.Sin(angle);
                }
            }

            _rootRe = new float[radix * radix];
            _rootIm = new float[radix * radix];
            for (var r = 0; r < radix; r++)
            {
                for (var q = 0; q < radix; q++)
                {
                    var angle = -2 * Math.PI * (r * q % radix) / radix;
                    _rootRe[(r * radix) + q] = (float)Math.Cos(angle);
                    _rootIm[(r * radix) + q] = (float)Math.Sin(angle);
                }
            }
        }

        public void Run(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> outRe, Span<float> outIm)
        {
            switch (_radix)
            {
                case 4:
                    Run4(inRe, inIm, outRe, outIm);
                    return;
                case 5:
                    Run5(inRe, inIm, outRe, outIm);
                    return;
            }

            Span<float> re = stackalloc float[_radix];
            Span<float> im = stackalloc float[_radix];
            for (var group = 0; group < _stride; group += _span)
            {
                for (var k = 0; k < _span; k++)
                {
                    var j = group + k;
                    var twiddle = k * _radix;
                    re[0] = inRe[j];
                    im[0] = inIm[j];
                    for (var r = 1; r < _radix; r++)
                    {
                        float xr = inRe[j + (r * _stride)], xi = inIm[j + (r * _stride)];
                        float wr = _twiddleRe[twiddle + r], wi = _twiddleIm[twiddle + r];
                        re[r] = (xr * wr) - (xi * wi);
                        im[r] = (xr * wi) + (xi * wr);
                    }

                    if (_radix == 2)
                        Radix2(re, im);
                    else
                        General(re, im);

                    var to = (group * _radix) + k;
                    for (var r = 0; r < _radix; r++)
                    {
                        outRe[to + (r * _span)] = re[r];
                        outIm[to + (r * _span)] = im[r];
                    }
                }
            }
        }

        // The two passes Whisper's transforms spend their time in, written out: no scratch, every value in a local.
        // y0 = (a0 + a2) + (a1 + a3), y2 = (a0 + a2) − (a1 + a3), y1 = (a0 − a2) − i(a1 − a3), y3 = (a0 − a2) + i(a1 − a3).
        private void Run4(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> outRe, Span<float> outIm)
        {
            int stride = _stride, span = _span;
            for (var group = 0; group < stride; group += span)
            {
                for (var k = 0; k < span; k++)
                {
                    var j = group + k;
                    var w = k * 4;
                    var (b1Re, b1Im) = Twiddled(inRe[j + stride], inIm[j + stride], w + 1);
                    var (b2Re, b2Im) = Twiddled(inRe[j + (2 * stride)], inIm[j + (2 * stride)], w + 2);
                    var (b3Re, b3Im) = Twiddled(inRe[j + (3 * stride)], inIm[j + (3 * stride)], w + 3);
                    float a0Re = inRe[j], a0Im = inIm[j];
                    float sumRe = a0Re + b2Re, sumIm = a0Im + b2Im, diffRe = a0Re - b2Re, diffIm = a0Im - b2Im;
                    float oddSumRe = b1Re + b3Re, oddSumIm = b1Im + b3Im, oddDiffRe = b1Re - b3Re, oddDiffIm = b1Im - b3Im;
                    var to = (group * 4) + k;
                    outRe[to] = sumRe + oddSumRe;
                    outIm[to] = sumIm + oddSumIm;
                    outRe[to + span] = diffRe + oddDiffIm; // −i·(a + ib) = b − ia
                    outIm[to + span] = diffIm - oddDiffRe;
                    outRe[to + (2 * span)] = sumRe - oddSumRe;
                    outIm[to + (2 * span)] = sumIm - oddSumIm;
                    outRe[to + (3 * span)] = diffRe - oddDiffIm;
                    outIm[to + (3 * span)] = diffIm + oddDiffRe;
                }
            }
        }

        // With b1 = a1 + a4, b2 = a2 + a3, d1 = a1 − a4, d2 = a2 − a3: y1,4 = a0 + c1·b1 + c2·b2 ∓ i(s1·d1 + s2·d2),
        // y2,3 = a0 + c2·b1 + c1·b2 ∓ i(s2·d1 − s1·d2).
        private void Run5(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> outRe, Span<float> outIm)
        {
            int stride = _stride, span = _span;
            for (var group = 0; group < stride; group += span)
            {
                for (var k = 0; k < span; k++)
                {
                    var j = group + k;
                    var w = k * 5;
                    var (x1Re, x1Im) = Twiddled(inRe[j + stride], inIm[j + stride], w + 1);
                    var (x2Re, x2Im) = Twiddled(inRe[j + (2 * stride)], inIm[j + (2 * stride)], w + 2);
                    var (x3Re, x3Im) = Twiddled(inRe[j + (3 * stride)], inIm[j + (3 * stride)], w + 3);
                    var (x4Re, x4Im) = Twiddled(inRe[j + (4 * stride)], inIm[j + (4 * stride)], w + 4);
                    float a0Re = inRe[j], a0Im = inIm[j];
                    float b1Re = x1Re + x4Re, b1Im = x1Im + x4Im, b2Re = x2Re + x3Re, b2Im = x2Im + x3Im;
                    float d1Re = x1Re - x4Re, d1Im = x1Im - x4Im, d2Re = x2Re - x3Re, d2Im = x2Im - x3Im;
                    float t1Re = a0Re + (Cos1 * b1Re) + (Cos2 * b2Re), t1Im = a0Im + (Cos1 * b1Im) + (Cos2 * b2Im);
                    float t2Re = a0Re + (Cos2 * b1Re) + (Cos1 * b2Re), t2Im = a0Im + (Cos2 * b1Im) + (Cos1 * b2Im);
                    float u1Re = (Sin1 * d1Re) + (Sin2 * d2Re), u1Im = (Sin1 * d1Im) + (Sin2 * d2Im);
                    float u2Re = (Sin2 * d1Re) - (Sin1 * d2Re), u2Im = (Sin2 * d1Im) - (Sin1 * d2Im);
                    var to = (group * 5) + k;
                    outRe[to] = a0Re + b1Re + b2Re;
                    outIm[to] = a0Im + b1Im + b2Im;
                    outRe[to + span] = t1Re + u1Im;
                    outIm[to + span] = t1Im - u1Re;
                    outRe[to + (2 * span)] = t2Re + u2Im;
                    outIm[to + (2 * span)] = t2Im - u2Re;
                    outRe[to + (3 * span)] = t2Re - u2Im;
                    outIm[to + (3 * span)] = t2Im + u2Re;
                    outRe[to + (4 * span)] = t1Re - u1Im;
                    outIm[to + (4 * span)] = t1Im + u1Re;
                }
            }
        }

        /// <summary>x·w for the pass's twiddle at <paramref name="index"/>.</summary>
        private (float Re, float Im) Twiddled(float re, float im, int index)
        {
            float wr = _twiddleRe[index], wi = _twiddleIm[index];
            return ((re * wr) - (im * wi), (re * wi) + (im * wr));
        }

        private static void Radix2(Span<float> re, Span<float> im)
        {
            (re[0], re[1]) = (re[0] + re[1], re[0] - re[1]);
            (im[0], im[1]) = (im[0] + im[1], im[0] - im[1]);
        }

        private void General(Span<float> re, Span<float> im)
        {
            Span<float> sumRe = stackalloc float[_radix];
            Span<float> sumIm = stackalloc float[_radix];
            for (var r = 0; r < _radix; r++)
            {
                float accRe = 0, accIm = 0;
                for (var q = 0; q < _radix; q++)
                {
                    float wr = _rootRe[(r * _radix) + q], wi = _rootIm[(r * _radix) + q];
                    accRe += (re[q] * wr) - (im[q] * wi);
                    accIm += (re[q] * wi) + (im[q] * wr);
                }

                sumRe[r] = accRe;
                sumIm[r] = accIm;
            }

            sumRe.CopyTo(re);
            sumIm.CopyTo(im);
        }
    }
}
