namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// diffusers' <c>_resize_with_antialiasing</c> (the Stable Video Diffusion pipeline's resize of the CLIP input to
/// 224²): a separable Gaussian blur with σ = max((scale − 1)/2, 0.001) per axis and an odd kernel of
/// int(max(4σ, 3)) taps over a reflect-padded image (kornia's filter2d), then torch's bicubic interpolation with
/// <c>align_corners=True</c> (A = −0.75, borders clamped). Works on planar float images; the aspect ratio is not kept.
/// </summary>
internal static class AntialiasedResize
{
    private const double CubicA = -0.75;

    /// <summary>Planar <c>[channels, height, width]</c> → planar <c>[channels, outHeight, outWidth]</c>.</summary>
    public static float[] Resize(float[] planar, int channels, int width, int height, int outWidth, int outHeight)
    {
        var blurred = BlurRows(planar, channels, width, height, Sigma(width, outWidth));
        blurred = BlurColumns(blurred, channels, width, height, Sigma(height, outHeight));
        var xs = CubicAxis(width, outWidth);
        var ys = CubicAxis(height, outHeight);
        var rows = new float[channels * height * outWidth];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                var source = ((c * height) + y) * width;
                var target = ((c * height) + y) * outWidth;
                for (var x = 0; x < outWidth; x++)
                {
                    double sum = 0;
                    for (var k = 0; k < 4; k++)
                        sum += blurred[source + xs.Index[(x * 4) + k]] * xs.Weight[(x * 4) + k];
                    rows[target + x] = (float)sum;
                }
            }
        }

        var result = new float[channels * outHeight * outWidth];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < outHeight; y++)
            {
                var target = ((c * outHeight) + y) * outWidth;
                for (var x = 0; x < outWidth; x++)
                {
                    double sum = 0;
                    for (var k = 0; k < 4; k++)
                        sum += rows[(((c * height) + ys.Index[(y * 4) + k]) * outWidth) + x] * ys.Weight[(y * 4) + k];
                    result[target + x] = (float)sum;
                }
            }
        }

        return result;
    }

    private static double Sigma(int inSize, int outSize) => Math.Max((((double)inSize / outSize) - 1.0) / 2.0, 0.001);

    /// <summary>kornia's get_gaussian_kernel1d for an odd size: exp(−x²/2σ²) at x = −k/2 … k/2, normalised.</summary>
    internal static double[] GaussianKernel(double sigma)
    {
        var size = (int)Math.Max(2.0 * 2 * sigma, 3);
        if (size % 2 == 0)
            size++;
        var kernel = new double[size];
        var total = 0.0;
        for (var i = 0; i < size; i++)
        {
            var x = i - (size / 2);
            kernel[i] = Math.Exp(-(x * x) / (2 * sigma * sigma));
            total += kernel[i];
        }

        for (var i = 0; i < size; i++)
            kernel[i] /= total;
        return kernel;
    }

    private static float[] BlurRows(float[] planar, int channels, int width, int height, double sigma)
    {
        var kernel = GaussianKernel(sigma);
        var half = kernel.Length / 2;
        var result = new float[planar.Length];
        for (var row = 0; row < channels * height; row++)
        {
            var start = row * width;
            for (var x = 0; x < width; x++)
            {
                double sum = 0;
                for (var k = 0; k < kernel.Length; k++)
                    sum += planar[start + Reflect(x + k - half, width)] * kernel[k];
                result[start + x] = (float)sum;
            }
        }

        return result;
    }

    private static float[] BlurColumns(float[] planar, int channels, int width, int height, double sigma)
    {
        var kernel = GaussianKernel(sigma);
        var half = kernel.Length / 2;
        var result = new float[planar.Length];
        for (var c = 0; c < channels; c++)
        {
            var plane = c * height * width;
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    double sum = 0;
                    for (var k = 0; k < kernel.Length; k++)
                        sum += planar[plane + (Reflect(y + k - half, height) * width) + x] * kernel[k];
                    result[plane + (y * width) + x] = (float)sum;
                }
            }
        }

        return result;
    }

    /// <summary>torch's "reflect" padding index (the edge is not repeated).</summary>
    private static int Reflect(int i, int length)
    {
        if (length == 1)
            return 0;
        var period = 2 * (length - 1);
        var m = ((i % period) + period) % period;
        return m < length ? m : period - m;
    }

    private sealed record Axis(int[] Index, double[] Weight);

    /// <summary>torch upsample_bicubic2d with align_corners=True: source = out · (in − 1)/(out − 1), four taps clamped to the image.</summary>
    private static Axis CubicAxis(int inSize, int outSize)
    {
        var scale = outSize > 1 ? (inSize - 1.0) / (outSize - 1.0) : 0.0;
        var index = new int[outSize * 4];
        var weight = new double[outSize * 4];
        for (var o = 0; o < outSize; o++)
        {
            var source = o * scale;
            var floor = (int)Math.Floor(source);
            var t = source - floor;
            double[] w = [Cubic2(t + 1), Cubic1(t), Cubic1(1 - t), Cubic2(2 - t)];
            for (var k = 0; k < 4; k++)
            {
                index[(o * 4) + k] = Math.Clamp(floor - 1 + k, 0, inSize - 1);
                weight[(o * 4) + k] = w[k];
            }
        }

        return new Axis(index, weight);
    }

    private static double Cubic1(double x) => ((((CubicA + 2) * x) - (CubicA + 3)) * x * x) + 1;

    private static double Cubic2(double x) => ((((CubicA * x) - (5 * CubicA)) * x) + (8 * CubicA)) * x - (4 * CubicA);
}
