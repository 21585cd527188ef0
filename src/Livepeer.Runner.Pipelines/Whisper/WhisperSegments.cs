namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>Turns each window's generated ids into text and, with timestamps, into the contract's chunks.</summary>
internal static class WhisperSegments
{
    public static Transcription Build(IReadOnlyList<WhisperWindowResult> windows, WhisperTokenizer tokenizer, WhisperConfig config, bool timestamps)
    {
        var tb = config.TimestampBegin;
        var text = new System.Text.StringBuilder();
        var chunks = new List<TranscriptChunk>();
        for (var w = 0; w < windows.Count; w++)
        {
            var window = windows[w];
            var ids = window.Generated.Where(id => id != config.EosTokenId).ToList();
            text.Append(tokenizer.Decode(ids, skipSpecialTokens: true, timestampBegin: tb));
            if (timestamps)
                AddChunks(chunks, ids, window, tokenizer, tb, isLast: w == windows.Count - 1);
        }

        return new Transcription(text.ToString(), chunks);
    }

    /// <summary>
    /// <c>&lt;|t0|&gt; text &lt;|t1|&gt;</c> is one segment; a timestamp with no text before it opens the next one.
    /// Text left open at the end of a window ends at the window's end, or stays open (null) at the end of the file.
    /// </summary>
    private static void AddChunks(List<TranscriptChunk> chunks, List<int> ids, WhisperWindowResult window, WhisperTokenizer tokenizer, int tb, bool isLast)
    {
        double? start = null;
        double? lastEnd = null;
        var pending = new List<int>();
        foreach (var id in ids)
        {
            if (id < tb)
            {
                pending.Add(id);
                continue;
            }

            var time = Math.Round(Math.Min(window.StartSeconds + ((id - tb) * WhisperConfig.SecondsPerTimestamp), window.EndSeconds), 2);
            if (pending.Count > 0)
            {
                Emit(start ?? lastEnd ?? window.StartSeconds, time);
                lastEnd = time;
                start = null;
            }
            else
            {
                start = time;
            }
        }

        if (pending.Count > 0)
            Emit(start ?? lastEnd ?? window.StartSeconds, isLast ? null : Math.Round(window.EndSeconds, 2));

        void Emit(double from, double? to)
        {
            var text = tokenizer.Decode(pending, skipSpecialTokens: true, timestampBegin: tb);
            pending.Clear();
            if (text.Length > 0)
                chunks.Add(new TranscriptChunk(from, to is { } end ? Math.Max(end, from) : null, text));
        }
    }
}
