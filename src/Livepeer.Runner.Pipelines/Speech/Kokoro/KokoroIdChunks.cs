namespace Livepeer.Runner.Pipelines.Speech.Kokoro;

/// <summary>
/// Cuts a text's phoneme ids into pieces Kokoro speaks in one call (at most <c>max</c> ids each, the pads not
/// counted): at the last sentence end that fits, else the last <c>: ;</c>, else the last comma or dash, else the last
/// space, else exactly at the bound. A cut after a mark keeps the mark; a cut at a space drops the space, and no
/// piece starts or ends with one. Joined, the pieces are the ids minus the spaces at the cuts.
/// </summary>
public static class KokoroIdChunks
{
    public static IReadOnlyList<long[]> Split(IReadOnlyList<long> ids, int max, KokoroVocabulary vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var pieces = new List<long[]>();
        var start = 0;
        while (true)
        {
            start = SkipSpaces(ids, start, vocabulary);
            if (ids.Count - start <= max)
                break;
            var cut = LastBreak(ids, start, max, vocabulary);
            Add(pieces, ids, start, cut, vocabulary);
            start = cut;
        }

        Add(pieces, ids, start, ids.Count, vocabulary);
        return pieces;
    }

    /// <summary>The end (exclusive) of the next piece: after the best-ranked break within <c>max</c> ids of <paramref name="start"/>.</summary>
    private static int LastBreak(IReadOnlyList<long> ids, int start, int max, KokoroVocabulary vocabulary)
    {
        for (var rank = 0; rank < KokoroVocabulary.BreakRanks; rank++)
        {
            // A space at start + max may be the cut itself: the piece before it is max ids long.
            for (var i = start + max; i > start; i--)
            {
                if (vocabulary.BreakRank(ids[i]) != rank)
                    continue;
                if (vocabulary.IsSpace(ids[i]))
                    return i;
                if (i < start + max)
                    return i + 1;
            }
        }

        return start + max;
    }

    private static int SkipSpaces(IReadOnlyList<long> ids, int at, KokoroVocabulary vocabulary)
    {
        while (at < ids.Count && vocabulary.IsSpace(ids[at]))
            at++;
        return at;
    }

    private static void Add(List<long[]> pieces, IReadOnlyList<long> ids, int start, int end, KokoroVocabulary vocabulary)
    {
        while (end > start && vocabulary.IsSpace(ids[end - 1]))
            end--;
        if (end <= start)
            return;
        var piece = new long[end - start];
        for (var i = 0; i < piece.Length; i++)
            piece[i] = ids[start + i];
        pieces.Add(piece);
    }
}
