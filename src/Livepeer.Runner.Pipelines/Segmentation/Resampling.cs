using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// Separable triangle-filter resizing with half-pixel centres. Without antialiasing it is exactly torch's
/// <c>F.interpolate(mode="bilinear", align_corners=False)</c> (how SAM 2 brings 256² mask logits to the image size);
/// with it, downscaling widens the filter to the scale (torchvision's <c>Resize(antialias=True)</c> of the encoders' input).
/// </summary>
internal static class Resampling
{
    /// <summary>For each output index along one axis: the first input index and the weights of its taps.</summary>
    internal sealed class Axis
    {
        private Axis(int[] start, float[] weights, int taps)
        {
            Start = start;
            Weights = weights;
            Taps = taps;
        }

        public int[] Start { get; }

        /// <summary><see cref="Taps"/> weights per output index, zero-padded, summing to 1.</summary>
        public float[] Weights { get; }

        public int Taps { get; }

        public static Axis Create(int inputSize, int outputSize, bool antialias)
        {
            var scale = (double)inputSize / outputSize;
            var support = antialias ? Math.Max(1.0, scale) : 1.0;
            var taps = (int)Math.Ceiling(support * 2) + 1;
            var start = new int[outputSize];
            var weights = new float[outputSize * taps];
            Span<double> raw = stackalloc double[taps];
            for (var o = 0; o < outputSize; o++)
            {
                // torch clamps a negative source coordinate to 0 when not antialiasing; normalised edge weights do the same.
                var centre = ((o + 0.5) * scale) - 0.5;
                var first = Math.Max(0, (int)Math.Floor(centre - support) + 1);
                var last = Math.Min(inputSize - 1, (int)Math.Ceiling(centre + support) - 1);
                var sum = 0.0;
                raw.Clear();
                for (var i = first; i <= last && i - first < taps; i++)
                {
                    raw[i - first] = Math.Max(0.0, 1.0 - (Math.Abs(i - centre) / support));
                    sum += raw[i - first];
                }

                if (sum == 0)
                {
                    first = Math.Clamp((int)Math.Round(centre), 0, inputSize - 1);
                    raw.Clear();
                    raw[0] = sum = 1;
                }

                start[o] = first;
                for (var t = 0; t < taps; t++)
                    weights[(o * taps) + t] = (float)(raw[t] / sum);
            }

            return new Axis(start, weights, taps);
        }
    }

    /// <summary>
    /// Resizes <paramref name="image"/> to <paramref name="width"/>×<paramref name="height"/> into three planes of
    /// <paramref name="destination"/> (plane stride <paramref name="planeStride"/>, row stride <paramref name="rowStride"/>),
    /// writing <c>(value · scale[c] − offset[c])</c> per channel, so normalisation costs no extra pass.
    /// </summary>
    public static void ResizeImage(
        RgbImage image, int width, int height, Span<float> destination, int rowStride, int planeStride,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> offset)
    {
        var xs = Axis.Create(image.Width, width, antialias: true);
        var ys = Axis.Create(image.Height, height, antialias: true);
        var pixels = image.Pixels;

        // Horizontal pass: every input row to the output width, channels kept interleaved.
        var rows = new float[image.Height * width * 3];
        for (var y = 0; y < image.Height; y++)
        {
            var source = y * image.Width * 3;
            var target = y * width * 3;
            for (var x = 0; x < width; x++)
            {
                float r = 0, g = 0, b = 0;
                var at = source + (xs.Start[x] * 3);
                var w = x * xs.Taps;
                for (var t = 0; t < xs.Taps && xs.Start[x] + t < image.Width; t++, at += 3)
                {
                    var weight = xs.Weights[w + t];
                    r += pixels[at] * weight;
                    g += pixels[at + 1] * weight;
                    b += pixels[at + 2] * weight;
                }

                rows[target + (x * 3)] = r;
                rows[target + (x * 3) + 1] = g;
                rows[target + (x * 3) + 2] = b;
            }
        }

        for (var y = 0; y < height; y++)
        {
            var w = y * ys.Taps;
            var first = ys.Start[y];
            for (var x = 0; x < width; x++)
            {
                float r = 0, g = 0, b = 0;
                for (var t = 0; t < ys.Taps && first + t < image.Height; t++)
                {
                    var weight = ys.Weights[w + t];
                    var at = (((first + t) * width) + x) * 3;
                    r += rows[at] * weight;
                    g += rows[at + 1] * weight;
                    b += rows[at + 2] * weight;
                }

                var target = (y * rowStride) + x;
                destination[target] = (r * scale[0]) - offset[0];
                destination[planeStride + target] = (g * scale[1]) - offset[1];
                destination[(2 * planeStride) + target] = (b * scale[2]) - offset[2];
            }
        }
    }

    /// <summary>Bilinear (torch <c>align_corners=False</c>, no antialias) resize of one float plane.</summary>
    public static void ResizePlane(ReadOnlySpan<float> source, int sourceWidth, int sourceHeight, Span<float> destination, int width, int height, Axis xs, Axis ys)
    {
        var rows = new float[sourceHeight * width];
        for (var y = 0; y < sourceHeight; y++)
        {
            var row = source.Slice(y * sourceWidth, sourceWidth);
            var target = rows.AsSpan(y * width, width);
            for (var x = 0; x < width; x++)
            {
                var start = xs.Start[x];
                var w = x * xs.Taps;
                var sum = 0f;
                for (var t = 0; t < xs.Taps && start + t < sourceWidth; t++)
                    sum += row[start + t] * xs.Weights[w + t];
                target[x] = sum;
            }
        }

        for (var y = 0; y < height; y++)
        {
            var target = destination.Slice(y * width, width);
            target.Clear();
            var start = ys.Start[y];
            for (var t = 0; t < ys.Taps && start + t < sourceHeight; t++)
            {
                var weight = ys.Weights[(y * ys.Taps) + t];
                if (weight == 0)
                    continue;
                var row = rows.AsSpan((start + t) * width, width);
                for (var x = 0; x < width; x++)
                    target[x] += row[x] * weight;
            }
        }
    }
}
