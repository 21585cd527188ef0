namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>
/// Turns generated tokens into text as they arrive, decoding a short window instead of everything so far (the
/// approach of text-generation-inference's streaming decode): the window runs from a token already returned to the
/// newest, and the new text is the window's decode less the decode of its returned part. So tokenizers that change a
/// piece's leading space by its neighbour decode it as in the whole text, and a token that leaves a character
/// incomplete (a byte-fallback piece, a split UTF-8 sequence: the decode ends in U+FFFD) returns nothing until the token
/// that completes it. A window never starts on a token that is not text by itself (a lone byte piece): decoders
/// treat a leading byte run specially (ML.Tokenizers' SentencePiece then drops the space of the piece after it). The
/// cost per token is constant, not the length of the text.
/// </summary>
internal sealed class IncrementalText
{
    private const int ContextTokens = 4;

    private readonly LlmTokenizer _tokenizer;
    private readonly List<int> _ids;
    private int _windowStart;
    private int _returnedUpTo;

    public IncrementalText(LlmTokenizer tokenizer, IReadOnlyList<int> prompt)
    {
        _tokenizer = tokenizer;
        _ids = [.. prompt];
        _returnedUpTo = prompt.Count;
        _windowStart = LastWholeTokenBefore(_returnedUpTo, Math.Max(0, _returnedUpTo - ContextTokens)) ?? 0;
    }

    /// <summary>Appends a token and returns the text it completes: "" while a character is still partial.</summary>
    public string Add(int id)
    {
        _ids.Add(id);
        var (returned, window) = Decode();
        if (window.Length <= returned.Length || window.EndsWith('\uFFFD'))
            return "";
        return Advance(returned, window);
    }

    /// <summary>What is still held back at the end of generation (an incomplete character comes out as U+FFFD).</summary>
    public string Flush()
    {
        var (returned, window) = Decode();
        return window.Length > returned.Length ? Advance(returned, window) : "";
    }

    private (string Returned, string Window) Decode()
    {
        var returned = _tokenizer.Decode(_ids.Skip(_windowStart).Take(_returnedUpTo - _windowStart));
        var window = _tokenizer.Decode(_ids.Skip(_windowStart));
        return (returned, window);
    }

    private string Advance(string returned, string window)
    {
        var text = window[returned.Length..];
        _windowStart = LastWholeTokenBefore(_ids.Count, _windowStart) ?? _windowStart;
        _returnedUpTo = _ids.Count;
        return text;
    }

    /// <summary>The last index in [<paramref name="from"/>, <paramref name="end"/>) whose token decodes to whole characters alone.</summary>
    private int? LastWholeTokenBefore(int end, int from)
    {
        for (var i = end - 1; i >= from; i--)
        {
            var alone = _tokenizer.Decode([_ids[i]]);
            if (alone.Length > 0 && !alone.Contains('\uFFFD'))
                return i;
        }

        return null;
    }
}
