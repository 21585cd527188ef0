using System.Numerics.Tensors;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Whisper's log-mel front end (openai/whisper <c>audio.py</c>, HF <c>WhisperFeatureExtractor</c>): audio padded or
/// trimmed to 30 s, centred STFT with reflect padding, periodic Hann window of 400, n_fft 400, hop 160, power
/// spectrum, mel filterbank, <c>log10(max(x, 1e-10))</c>, clamp below at max − 8, then <c>(x + 4) / 4</c>. The last
/// of the 3001 STFT frames is dropped, giving <c>[melBins, 3000]</c>. Thread-safe (scratch is per call).
/// </summary>
public sealed class LogMelSpectrogram
{
    public const int SampleRate = 16_000;
    public const int FftLength = 400;
    public const int HopLength = 160;
    public const int WindowSamples = 30 * SampleRate;
    public const int Frames = WindowSamples / HopLength;
    private const int Bins = (FftLength / 2) + 1;

    private static readonly float[] HannWindow = Hann(FftLength);
    private readonly float[] _filters; // [MelBins, Bins]

    /// <param name="melBins">80 (tiny … large-v2) or 128 (large-v3).</param>
    /// <param name="filters">Row-major <c>[melBins, 201]</c> weights from the model's <c>preprocessor_config.json</c>
    /// when it embeds them; otherwise the Slaney bank is computed.</param>
    public LogMelSpectrogram(int melBins, float[]? filters = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(melBins, 1);
        if (filters is not null && filters.Length != melBins * Bins)
            throw new ArgumentException($"A mel filterbank for {melBins} bins needs {melBins * Bins} weights, not {filters.Length}.", nameof(filters));
        MelBins = melBins;
        _filters = filters ?? MelFilterBank.Slaney(melBins, FftLength, SampleRate);
    }

    public int MelBins { get; }

    /// <summary>Features of one 30 s window: <c>[MelBins, 3000]</c> row-major, ready for <c>input_features</c>.</summary>
    public float[] Compute(ReadOnlySpan<float> samples)
    {
        var features = new float[MelBins * Frames];
        Compute(samples, features);
        return features;
    }

    /// <summary>Writes <c>[MelBins, 3000]</c> into <paramref name="features"/>; samples beyond 30 s are ignored, short audio is zero-padded.</summary>
    public void Compute(ReadOnlySpan<float> samples, Span<float> features)
    {
        if (features.Length != MelBins * Frames)
            throw new ArgumentException($"features must hold {MelBins}x{Frames} values.", nameof(features));

        // Pad/trim to 30 s, then reflect-pad n_fft/2 on each side (torch.stft center=True).
        const int pad = FftLength / 2;
        var padded = new float[WindowSamples + (2 * pad)];
        var audio = samples[..Math.Min(samples.Length, WindowSamples)];
        audio.CopyTo(padded.AsSpan(pad));
        for (var i = 1; i <= pad; i++)
        {
            padded[pad - i] = padded[pad + i];
            padded[pad + WindowSamples - 1 + i] = padded[pad + WindowSamples - 1 - i];
        }

        var power = new float[Frames * Bins]; // frame-major, so each mel value is one contiguous dot product
        var fft = new RealFft(FftLength);
        var windowed = new float[FftLength];
        for (var t = 0; t < Frames; t++)
        {
            TensorPrimitives.Multiply(padded.AsSpan(t * HopLength, FftLength), HannWindow, windowed);
            fft.Power(windowed, power.AsSpan(t * Bins, Bins));
        }

        for (var m = 0; m < MelBins; m++)
        {
            var filter = _filters.AsSpan(m * Bins, Bins);
            var output = features.Slice(m * Frames, Frames);
            for (var t = 0; t < Frames; t++)
                output[t] = TensorPrimitives.Dot(filter, power.AsSpan(t * Bins, Bins));
        }

        TensorPrimitives.Max(features, 1e-10f, features);
        TensorPrimitives.Log10(features, features);
        var floor = TensorPrimitives.Max(features) - 8f;
        TensorPrimitives.Max(features, floor, features);
        TensorPrimitives.Add(features, 4f, features);
        TensorPrimitives.Multiply(features, 0.25f, features);
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
