namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Turns each window's generated ids into text and, with timestamps, into the contract's chunks: one per segment, or in
/// word mode one per word (<see cref="WhisperWords"/>, timed by the window's <see cref="WhisperWindowResult.TokenStarts"/>).
/// </summary>
internal static class WhisperSegments
{
    public static Transcription Build(IReadOnlyList<WhisperWindowResult> windows, WhisperTokenizer tokenizer, WhisperConfig config, bool timestamps, bool words = false)
    {
        var tb = config.TimestampBegin;
        var text = new System.Text.StringBuilder();
        var chunks = new List<TranscriptChunk>();
        for (var w = 0; w < windows.Count; w++)
        {
            var window = windows[w];
            var ids = window.Generated.Where(id => id != config.EosTokenId).ToList();
            text.Append(tokenizer.Decode(ids, skipSpecialTokens: true, timestampBegin: tb));
            if (timestamps && words)
                AddWords(chunks, window, tokenizer, config);
            else if (timestamps)
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

    /// <summary>
    /// Words of each segment (the text between timestamp tokens, as transformers groups them), from the start of their
    /// first token to the end of their last; a word whose last token has no end (cut off at the token limit) ends with
    /// the window.
    /// </summary>
    private static void AddWords(List<TranscriptChunk> chunks, WhisperWindowResult window, WhisperTokenizer tokenizer, WhisperConfig config)
    {
        var starts = window.TokenStarts ?? throw new InvalidOperationException("Word timestamps need the window's token times.");
        var language = Language(window.Prompt, config);
        var offset = window.Prompt.Count;
        var segment = new List<int>();
        var positions = new List<int>();
        for (var g = 0; g <= window.Generated.Count; g++)
        {
            var id = g < window.Generated.Count ? window.Generated[g] : config.TimestampBegin;
            if (id < config.EosTokenId)
            {
                segment.Add(id);
                positions.Add(offset + g);
                continue;
            }

            if (id < config.TimestampBegin && id != config.EosTokenId)
                continue; // a special token inside the text: neither text nor a segment boundary
            foreach (var word in WhisperWords.Group(segment, tokenizer, config.EosTokenId, language))
            {
                var first = positions[word.FirstToken];
                var end = positions[word.LastToken] + 1;
                var from = starts[first];
                var to = end < starts.Count ? starts[end] : window.Samples / (double)LogMelSpectrogram.SampleRate;
                chunks.Add(new TranscriptChunk(Math.Round(window.StartSeconds + from, 2), Math.Round(window.StartSeconds + Math.Max(from, to), 2), word.Text));
            }

            segment.Clear();
            positions.Clear();
        }
    }

    /// <summary>The prompt's language code (<c>&lt;|zh|&gt;</c> → <c>zh</c>), or null when the prompt names none.</summary>
    private static string? Language(IReadOnlyList<int> prompt, WhisperConfig config)
    {
        foreach (var (token, id) in config.LanguageToId)
        {
            if (prompt.Contains(id))
                return token.Trim('<', '|', '>');
        }

        return null;
    }
}
