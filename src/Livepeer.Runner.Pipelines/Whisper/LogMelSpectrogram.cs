using System.Numerics.Tensors;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Whisper's log-mel front end (openai/whisper <c>audio.py</c>, HF <c>WhisperFeatureExtractor</c>): audio padded or
/// trimmed to 30 s, centred STFT with reflect padding, periodic Hann window of 400, n_fft 400, hop 160, power
/// spectrum, mel filterbank, <c>log10(max(x, 1e-10))</c>, clamp below at max − 8, then <c>(x + 4) / 4</c>. The last
/// of the 3001 STFT frames is dropped, giving <c>[melBins, 3000]</c>. Thread-safe (scratch is per call).
/// The frames are computed in blocks on all cores; each mel filter is applied only over the FFT bins where it is
/// non-zero (a triangle touches a few of the 201), so the filterbank costs a small fraction of a dense product.
/// </summary>
public sealed class LogMelSpectrogram
{
    public const int SampleRate = 16_000;
    public const int FftLength = 400;
    public const int HopLength = 160;
    public const int WindowSamples = 30 * SampleRate;
    public const int Frames = WindowSamples / HopLength;
    private const int Bins = (FftLength / 2) + 1;

    private const int FramesPerBlock = 250;

    private static readonly float[] HannWindow = Hann(FftLength);
    private readonly SparseFilters _filters;

    /// <param name="melBins">80 (tiny … large-v2) or 128 (large-v3).</param>
    /// <param name="filters">Row-major <c>[melBins, 201]</c> weights from the model's <c>preprocessor_config.json</c>
    /// when it embeds them; otherwise the Slaney bank is computed.</param>
    public LogMelSpectrogram(int melBins, float[]? filters = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(melBins, 1);
        if (filters is not null && filters.Length != melBins * Bins)
            throw new ArgumentException($"A mel filterbank for {melBins} bins needs {melBins * Bins} weights, not {filters.Length}.", nameof(filters));
        MelBins = melBins;
        _filters = new SparseFilters(filters ?? MelFilterBank.Slaney(melBins, FftLength, SampleRate), melBins, Bins);
    }

    public int MelBins { get; }

    /// <summary>Features of one 30 s window: <c>[MelBins, 3000]</c> row-major, ready for <c>input_features</c>.</summary>
    public float[] Compute(ReadOnlySpan<float> samples)
    {
        var features = new float[MelBins * Frames];
        Compute(samples, features, 0);
        return features;
    }

    /// <summary>
    /// Writes <c>[MelBins, 3000]</c> into <paramref name="features"/> from <paramref name="offset"/> (one window of a
    /// batch); samples beyond 30 s are ignored, short audio is zero-padded.
    /// </summary>
    public void Compute(ReadOnlySpan<float> samples, float[] features, int offset)
    {
        if (offset < 0 || features.Length - offset < MelBins * Frames)
            throw new ArgumentException($"features must hold {MelBins}x{Frames} values from offset {offset}.", nameof(features));
        Compute(Padded(samples), features, offset);
    }

    /// <summary>The window padded or trimmed to 30 s, then reflect-padded by n_fft/2 on each side (torch.stft center=True).</summary>
    private static float[] Padded(ReadOnlySpan<float> samples)
    {
        const int pad = FftLength / 2;
        var padded = new float[WindowSamples + (2 * pad)];
        samples[..Math.Min(samples.Length, WindowSamples)].CopyTo(padded.AsSpan(pad));
        for (var i = 1; i <= pad; i++)
        {
            padded[pad - i] = padded[pad + i];
            padded[pad + WindowSamples - 1 + i] = padded[pad + WindowSamples - 1 - i];
        }

        return padded;
    }

    /// <summary>The blocks of frames run in parallel, each with its own FFT scratch, writing disjoint frames of <paramref name="features"/>.</summary>
    private void Compute(float[] padded, float[] features, int offset)
    {
        Parallel.For(0, (Frames + FramesPerBlock - 1) / FramesPerBlock, block =>
        {
            var fft = new RealFft(FftLength);
            var windowed = new float[FftLength];
            var power = new float[Bins];
            var end = Math.Min(Frames, (block + 1) * FramesPerBlock);
            for (var t = block * FramesPerBlock; t < end; t++)
            {
                TensorPrimitives.Multiply(padded.AsSpan(t * HopLength, FftLength), HannWindow, windowed);
                fft.Power(windowed, power);
                _filters.Apply(power, features, offset, t, Frames);
            }
        });

        var window = features.AsSpan(offset, MelBins * Frames);
        TensorPrimitives.Max(window, 1e-10f, window);
        TensorPrimitives.Log10(window, window);
        var floor = TensorPrimitives.Max(window) - 8f;
        TensorPrimitives.Max(window, floor, window);
        TensorPrimitives.Add(window, 4f, window);
        TensorPrimitives.Multiply(window, 0.25f, window);
    }

    /// <summary>Each filter's non-zero run of weights: filter m covers bins [Start[m], Start[m] + Length[m]).</summary>
    private sealed class SparseFilters
    {
        private readonly int[] _start;
        private readonly int[] _length;
        private readonly int[] _offset;
        private readonly float[] _weights;

        public SparseFilters(float[] dense, int melBins, int bins)
        {
            _start = new int[melBins];
            _length = new int[melBins];
            _offset = new int[melBins];
            var weights = new List<float>();
            for (var m = 0; m < melBins; m++)
            {
                var row = dense.AsSpan(m * bins, bins);
                var first = row.IndexOfAnyExcept(0f);
                var last = row.LastIndexOfAnyExcept(0f);
                _start[m] = Math.Max(first, 0);
                _length[m] = first < 0 ? 0 : last - first + 1;
                _offset[m] = weights.Count;
                weights.AddRange(row.Slice(_start[m], _length[m]));
            }

            _weights = [.. weights];
        }

        /// <summary>Writes frame <paramref name="frame"/>'s mel values into <paramref name="features"/> (<c>[melBins, frames]</c> from <paramref name="offset"/>).</summary>
        public void Apply(ReadOnlySpan<float> power, float[] features, int offset, int frame, int frames)
        {
            for (var m = 0; m < _start.Length; m++)
                features[offset + (m * frames) + frame] = TensorPrimitives.Dot(_weights.AsSpan(_offset[m], _length[m]), power.Slice(_start[m], _length[m]));
        }
    }

    /// <summary>Periodic Hann (torch.hann_window(400), periodic=True): 0.5 − 0.5·cos(2πn/N).</summary>
    private static float[] Hann(int length)
    {
        var window = new float[length];
        for (var n = 0; n < length; n++)
            window[n] = (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * n / length)));
        return window;
    }
}
