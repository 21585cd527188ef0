namespace Livepeer.Runner.Pipelines.Media;

/// <summary>PIL's resampling filters that replies and processors use.</summary>
internal enum PilFilter
{
    /// <summary>a = −0.5, support 2 (transformers' image processors).</summary>
    Bicubic,

    /// <summary>sinc(x)·sinc(x/3), support 3 (diffusers' VaeImageProcessor default, <c>resample="lanczos"</c>).</summary>
    Lanczos,
}

/// <summary>
/// PIL's resampling of an 8-bit RGB image (<c>Image.resize(..., BICUBIC | LANCZOS)</c>): separable with the
/// horizontal pass first, the kernel widened by the scale when shrinking (antialiasing), weights normalised per output
/// pixel and then, as PIL's <c>Resample.c</c> does for 8-bit images, turned into 22-bit fixed point, so each pass
/// rounds and clamps to a byte exactly as PIL does.
/// </summary>
internal static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const int Half = 1 << (PrecisionBits - 1);

    public static RgbImage Resize(RgbImage image, int width, int height, PilFilter filter = PilFilter.Bicubic)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var current = image;
        if (width != image.Width)
            current = Horizontal(current, width, filter);
        if (height != image.Height)
            current = Vertical(current, height, filter);
        return current;
    }

    private static RgbImage Horizontal(RgbImage source, int outWidth, PilFilter filter)
    {
        var (starts, counts, weights, taps) = Coefficients(source.Width, outWidth, filter);
        var result = new RgbImage(outWidth, source.Height);
        var input = source.Pixels;
        var output = result.Pixels;
        for (var y = 0; y < source.Height; y++)
        {
            var row = y * source.Width * 3;
            var outRow = y * outWidth * 3;
            for (var x = 0; x < outWidth; x++)
            {
                int r = Half, g = Half, b = Half;
                var w = x * taps;
                var i = row + (starts[x] * 3);
                for (var k = 0; k < counts[x]; k++, i += 3)
                {
                    var weight = weights[w + k];
                    r += input[i] * weight;
                    g += input[i + 1] * weight;
                    b += input[i + 2] * weight;
                }

                var d = outRow + (x * 3);
                output[d] = Clip8(r);
                output[d + 1] = Clip8(g);
                output[d + 2] = Clip8(b);
            }
        }

        return result;
    }

    private static RgbImage Vertical(RgbImage source, int outHeight, PilFilter filter)
    {
        var (starts, counts, weights, taps) = Coefficients(source.Height, outHeight, filter);
        var result = new RgbImage(source.Width, outHeight);
        var input = source.Pixels;
        var output = result.Pixels;
        var stride = source.Width * 3;
        for (var y = 0; y < outHeight; y++)
        {
            var w = y * taps;
            var first = starts[y] * stride;
            var outRow = y * stride;
            for (var c = 0; c < stride; c++)
            {
                var sum = Half;
                var i = first + c;
                for (var k = 0; k < counts[y]; k++, i += stride)
                    sum += input[i] * weights[w + k];
                output[outRow + c] = Clip8(sum);
            }
        }

        return result;
    }

    /// <summary>
    /// PIL's <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c>: per output pixel the first input index, how many
    /// inputs it reads, and <c>taps</c> fixed-point weights.
    /// </summary>
    private static (int[] Starts, int[] Counts, int[] Weights, int Taps) Coefficients(int inSize, int outSize, PilFilter filter)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = (filter == PilFilter.Lanczos ? 3.0 : 2.0) * filterScale;
        var taps = ((int)Math.Ceiling(support) * 2) + 1;
        var inverse = 1.0 / filterScale;
        var starts = new int[outSize];
        var counts = new int[outSize];
        var weights = new int[outSize * taps];
        var kernel = new double[taps];
        for (var o = 0; o < outSize; o++)
        {
            var center = (o + 0.5) * scale;
            // C's truncating casts, as PIL writes them; both ends are then clamped into the image.
            var min = Math.Max((int)(center - support + 0.5), 0);
            var max = Math.Min((int)(center + support + 0.5), inSize);
            var count = Math.Min(max - min, taps);
            double total = 0;
            for (var k = 0; k < count; k++)
            {
                kernel[k] = Kernel(filter, (k + min - center + 0.5) * inverse);
                total += kernel[k];
            }

            starts[o] = min;
            counts[o] = count;
            for (var k = 0; k < count; k++)
            {
                var normalised = total != 0 ? kernel[k] / total : kernel[k];
                weights[(o * taps) + k] = (int)(normalised < 0 ? -0.5 + (normalised * (1 << PrecisionBits)) : 0.5 + (normalised * (1 << PrecisionBits)));
            }
        }

        return (starts, counts, weights, taps);
    }

    private static double Kernel(PilFilter filter, double x) => filter == PilFilter.Lanczos ? Lanczos(x) : Cubic(x);

    private static double Lanczos(double x) => x is >= -3.0 and < 3.0 ? Sinc(x) * Sinc(x / 3) : 0;

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(x * Math.PI) / (x * Math.PI);

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1)
            return ((((a + 2) * x) - (a + 3)) * x * x) + 1;
        if (x < 2)
            return ((((x - 5) * x) + 8) * x - 4) * a;
        return 0;
    }

    // PIL's clip8: the arithmetic shift floors, then the byte range clamps.
    private static byte Clip8(int value) => (byte)Math.Clamp(value >> PrecisionBits, 0, 255);
}
