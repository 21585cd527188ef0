namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Splits long audio into consecutive windows of at most 30 s. Algorithm and why: independent windows (as HF's
/// chunked pipeline and faster-whisper's batched mode do) rather than openai's sequential long-form, so all windows
/// of a request go through the encoder and decoder as one batch; but instead of a fixed 30 s grid with overlapping
/// strides to stitch, each window ends at the quietest 20 ms within its last few seconds, so a cut rarely falls in
/// a word and no merging of overlapped text is needed. Timestamps of a window are offset by its start.
/// </summary>
internal static class WindowPlan
{
    public readonly record struct Window(int Start, int Length);

    private const int WindowSamples = LogMelSpectrogram.WindowSamples;
    private const int FrameSamples = 320; // 20 ms

    public static IReadOnlyList<Window> For(ReadOnlySpan<float> samples, int searchSamples = 5 * LogMelSpectrogram.SampleRate)
    {
        var windows = new List<Window>();
        var start = 0;
        while (samples.Length - start > WindowSamples)
        {
            var end = QuietestCut(samples, start + WindowSamples - searchSamples, start + WindowSamples);
            windows.Add(new Window(start, end - start));
            start = end;
        }

        windows.Add(new Window(start, samples.Length - start));
        return windows;
    }

    /// <summary>The end of the lowest-energy 20 ms frame in [from, to); the latest one on ties (longest window).</summary>
    private static int QuietestCut(ReadOnlySpan<float> samples, int from, int to)
    {
        var best = to;
        var bestEnergy = float.MaxValue;
        for (var frameEnd = to; frameEnd - FrameSamples >= from; frameEnd -= FrameSamples)
        {
            var frame = samples.Slice(frameEnd - FrameSamples, FrameSamples);
            var energy = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(frame);
            if (energy < bestEnergy)
            {
                bestEnergy = energy;
                best = frameEnd;
            }
        }

        return best;
    }
}
