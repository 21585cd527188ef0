using System.Numerics.Tensors;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// The logit rules of Whisper's greedy decoding (openai/whisper <c>decoding.py</c> SuppressBlank, SuppressTokens,
/// ApplyTimestampRules; HF's WhisperTimeStampLogitsProcessor): <c>suppress_tokens</c> always,
/// <c>begin_suppress_tokens</c> at the first generated position, prompt-only specials (sot … notimestamps) never
/// generated, and in timestamp mode: timestamps in pairs, never decreasing, the first token a timestamp no later than
/// <c>max_initial_timestamp_index</c>, and a timestamp forced when timestamps together outweigh any text token.
/// One addition: no timestamp past the end of the window's audio (a short last window has less than 30 s), so
/// chunks stay inside the file.
/// </summary>
internal sealed class WhisperLogitsProcessor
{
    private readonly WhisperConfig _config;
    private readonly bool _timestamps;

    public WhisperLogitsProcessor(WhisperConfig config, bool timestamps)
    {
        _config = config;
        _timestamps = timestamps;
    }

    /// <param name="logits">One row's last-position logits, changed in place.</param>
    /// <param name="generated">The tokens generated so far for this row (prompt excluded).</param>
    /// <param name="maxTimestampIndex">The last timestamp index inside this row's audio (0.02 s steps).</param>
    public void Process(Span<float> logits, IReadOnlyList<int> generated, int maxTimestampIndex = int.MaxValue)
    {
        var tb = _config.TimestampBegin;
        foreach (var id in _config.SuppressTokens)
            Suppress(logits, id);
        if (generated.Count == 0)
        {
            foreach (var id in _config.BeginSuppressTokens)
                Suppress(logits, id);
        }

        // Prompt-only tokens (start of transcript, languages, tasks, startofprev, nospeech, notimestamps).
        SuppressRange(logits, _config.DecoderStartTokenId, _config.NoTimestampsTokenId + 1);

        if (!_timestamps)
        {
            SuppressRange(logits, tb, logits.Length);
            return;
        }

        SuppressRange(logits, maxTimestampIndex >= logits.Length - tb ? logits.Length : tb + maxTimestampIndex + 1, logits.Length);
        ApplyTimestampRules(logits, generated, tb);
    }

    /// <summary>The last timestamp index (0.02 s steps) that is not past <paramref name="samples"/> of 16 kHz audio.</summary>
    public static int MaxTimestampIndex(int samples) =>
        (int)Math.Ceiling(samples / (double)LogMelSpectrogram.SampleRate / WhisperConfig.SecondsPerTimestamp);

    private void ApplyTimestampRules(Span<float> logits, IReadOnlyList<int> generated, int tb)
    {
        var eos = _config.EosTokenId;
        var count = generated.Count;
        var lastWasTimestamp = count >= 1 && generated[count - 1] >= tb;
        var penultimateWasTimestamp = count < 2 || generated[count - 2] >= tb;
        if (lastWasTimestamp)
        {
            if (penultimateWasTimestamp)
                SuppressRange(logits, tb, logits.Length); // a closed pair: text (or the end) comes next
            else
                SuppressRange(logits, 0, eos); // an open segment ends with a timestamp or the end of text
        }

        // Timestamps never go backwards; after a segment's closing timestamp the next may repeat it.
        var lastTimestamp = -1;
        for (var i = count - 1; i >= 0; i--)
        {
            if (generated[i] >= tb)
            {
                lastTimestamp = generated[i];
                break;
            }
        }

        if (lastTimestamp >= 0)
            SuppressRange(logits, tb, lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1);

        if (count == 0)
        {
            SuppressRange(logits, 0, tb); // the first token is a timestamp
            if (_config.MaxInitialTimestampIndex is { } maxInitial)
                SuppressRange(logits, tb + maxInitial + 1, logits.Length);
        }

        // If the timestamps' total probability beats every single text token, a timestamp it is.
        var logSumExp = LogSumExp(logits);
        var timestampMass = LogSumExp(logits[tb..]) - logSumExp;
        var maxText = TensorPrimitives.Max(logits[..tb]) - logSumExp;
        if (timestampMass > maxText)
            SuppressRange(logits, 0, tb);
    }

    private static float LogSumExp(ReadOnlySpan<float> values)
    {
        var max = TensorPrimitives.Max(values);
        if (float.IsNegativeInfinity(max))
            return max;
        double sum = 0;
        foreach (var v in values)
            sum += Math.Exp(v - max);
        return max + (float)Math.Log(sum);
    }

    private static void Suppress(Span<float> logits, int id)
    {
        if ((uint)id < (uint)logits.Length)
            logits[id] = float.NegativeInfinity;
    }

    private static void SuppressRange(Span<float> logits, int from, int to)
    {
        from = Math.Clamp(from, 0, logits.Length);
        to = Math.Clamp(to, from, logits.Length);
        logits[from..to].Fill(float.NegativeInfinity);
    }
}
