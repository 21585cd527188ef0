namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>Speech-detection thresholds; the defaults are faster-whisper's <c>VadOptions</c>.</summary>
public sealed record VadOptions(float Threshold = 0.5f, int MinSpeechMs = 0, int MinSilenceMs = 2000, int SpeechPadMs = 400);

/// <summary>
/// faster-whisper's <c>vad_filter</c>: keep only the speech (Silero VAD, silero-vad's <c>get_speech_timestamps</c>
/// hysteresis). Whisper transcribes the speech joined together and maps the chunk timestamps back to the original
/// file; Moonshine decodes each span as its own window. Off unless the host asks for it.
/// </summary>
public static class VadFilter
{
    public readonly record struct Span(int Start, int End);

    /// <summary>Whisper's way: the speech spans joined end to end, transcribed as one recording, the chunks mapped back.</summary>
    public static async Task<Transcription> TranscribeJoinedSpeechAsync(
        Func<float[], CancellationToken, Task<Transcription>> transcribe, SileroVad vad, float[] samples, VadOptions? vadOptions, CancellationToken cancellationToken)
    {
        var speech = SpeechSpans(vad.Probabilities(samples, cancellationToken), samples.Length, vadOptions ?? new VadOptions());
        if (speech.Count == 0)
            return new Transcription("", []);

        var joined = new float[speech.Sum(s => s.End - s.Start)];
        var position = 0;
        foreach (var span in speech)
        {
            samples.AsSpan(span.Start, span.End - span.Start).CopyTo(joined.AsSpan(position));
            position += span.End - span.Start;
        }

        var result = await transcribe(joined, cancellationToken).ConfigureAwait(false);
        return result with
        {
            Chunks = [.. result.Chunks.Select(c => c with { Start = ToOriginal(speech, c.Start, isEnd: false), End = c.End is { } e ? ToOriginal(speech, e, isEnd: true) : null })],
        };
    }

    /// <summary>Speech regions in samples: start above the threshold, end after enough time below threshold − 0.15, padded and merged.</summary>
    public static IReadOnlyList<Span> SpeechSpans(ReadOnlySpan<float> probabilities, int totalSamples, VadOptions options)
    {
        const int rate = LogMelSpectrogram.SampleRate;
        var negativeThreshold = Math.Max(options.Threshold - 0.15f, 0.01f);
        var minSilence = options.MinSilenceMs * rate / 1000;
        var minSpeech = options.MinSpeechMs * rate / 1000;
        var pad = options.SpeechPadMs * rate / 1000;

        var spans = new List<Span>();
        var triggered = false;
        int start = 0, silenceStart = -1;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var position = i * SileroVad.FrameSamples;
            var p = probabilities[i];
            if (p >= options.Threshold)
            {
                silenceStart = -1;
                if (!triggered)
                {
                    triggered = true;
                    start = position;
                }

                continue;
            }

            if (!triggered || p >= negativeThreshold)
                continue;
            if (silenceStart < 0)
                silenceStart = position;
            if (position - silenceStart < minSilence)
                continue;
            if (silenceStart - start > minSpeech)
                spans.Add(new Span(start, silenceStart));
            triggered = false;
            silenceStart = -1;
        }

        if (triggered && totalSamples - start > minSpeech)
            spans.Add(new Span(start, totalSamples));

        var padded = new List<Span>();
        foreach (var span in spans)
        {
            var s = new Span(Math.Max(0, span.Start - pad), Math.Min(totalSamples, span.End + pad));
            if (padded.Count > 0 && s.Start <= padded[^1].End)
                padded[^1] = padded[^1] with { End = Math.Max(padded[^1].End, s.End) };
            else
                padded.Add(s);
        }

        return padded;
    }

    /// <summary>A time in the joined speech → the same moment in the original audio (an end on a join stays in the earlier span).</summary>
    public static double ToOriginal(IReadOnlyList<Span> speech, double seconds, bool isEnd)
    {
        var sample = seconds * LogMelSpectrogram.SampleRate;
        double joinedStart = 0;
        foreach (var span in speech)
        {
            var length = span.End - span.Start;
            if (sample < joinedStart + length || (isEnd && sample <= joinedStart + length))
                return Math.Round((span.Start + (sample - joinedStart)) / LogMelSpectrogram.SampleRate, 2);
            joinedStart += length;
        }

        return Math.Round(speech[^1].End / (double)LogMelSpectrogram.SampleRate, 2);
    }
}
