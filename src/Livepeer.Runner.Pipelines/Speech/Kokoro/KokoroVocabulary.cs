using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Speech.Kokoro;

/// <summary>
/// Kokoro's phoneme vocabulary, the <c>WordLevel</c> <c>model.vocab</c> of its <c>tokenizer.json</c>: one id per
/// phoneme character (the pre-tokenizer splits the phoneme string into single characters). A character the vocabulary
/// lacks is dropped, as hexgrad's KModel does, rather than turned into the pad id in the middle of the text. The
/// template wraps the ids in the pad <c>$</c> (id 0) at both ends.
/// </summary>
public sealed class KokoroVocabulary
{
    /// <summary>The pad the ids are wrapped in, <c>$</c>; also the tokenizer's unknown token.</summary>
    public const string PadToken = "$";

    private readonly Dictionary<int, long> _ids;
    private readonly Dictionary<long, int> _breakRanks = [];

    // Where a long phoneme string may be cut, best first: sentence ends, clause marks, commas and dashes, spaces
    // (hexgrad's chunking waterfall, plus the space as the last resort).
    private static readonly string[] Breaks = ["!.?…", ":;", ",—", " "];

    public KokoroVocabulary(IReadOnlyDictionary<string, long> vocabulary)
    {
        _ids = [];
        foreach (var (token, id) in vocabulary)
        {
            if (token.EnumerateRunes().Count() == 1)
                _ids[token.EnumerateRunes().First().Value] = id;
        }

        PadId = vocabulary.TryGetValue(PadToken, out var pad) ? pad : 0;
        for (var rank = 0; rank < Breaks.Length; rank++)
        {
            foreach (var mark in Breaks[rank].EnumerateRunes())
            {
                if (_ids.TryGetValue(mark.Value, out var id))
                    _breakRanks.TryAdd(id, rank);
            }
        }
    }

    public long PadId { get; }

    /// <summary>How many kinds of break <see cref="BreakRank"/> tells apart.</summary>
    public static int BreakRanks => Breaks.Length;

    /// <exception cref="ModelLoadException">No <c>tokenizer.json</c>, or one without a WordLevel vocabulary.</exception>
    public static KokoroVocabulary Load(string modelId, string folder)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        var json = ModelFolderJson.Read(path)
            ?? throw new ModelLoadException(modelId, $"Kokoro model {modelId} has no tokenizer.json (its phoneme vocabulary).");
        if (!json.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object
            || !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new ModelLoadException(modelId, $"{path} has no model.vocab: Kokoro needs the phoneme vocabulary there.");

        var entries = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt64(out var id))
                entries[entry.Name] = id;
        }

        if (entries.Count == 0)
            throw new ModelLoadException(modelId, $"{path}: model.vocab is empty.");
        return new KokoroVocabulary(entries);
    }

    /// <summary>The ids of the phoneme string, one per character the vocabulary has, without the pads.</summary>
    public List<long> Encode(string phonemes)
    {
        var ids = new List<long>(phonemes.Length);
        foreach (var rune in phonemes.EnumerateRunes())
        {
            if (_ids.TryGetValue(rune.Value, out var id))
                ids.Add(id);
        }

        return ids;
    }

    /// <summary>The model's <c>input_ids</c>: the pad, the ids, the pad.</summary>
    public long[] Wrap(IReadOnlyList<long> ids)
    {
        var wrapped = new long[ids.Count + 2];
        wrapped[0] = PadId;
        for (var i = 0; i < ids.Count; i++)
            wrapped[i + 1] = ids[i];
        wrapped[^1] = PadId;
        return wrapped;
    }

    /// <summary>0 for a sentence end, 1 for <c>: ;</c>, 2 for a comma or dash, 3 for a space; null where no cut belongs.</summary>
    public int? BreakRank(long id) => _breakRanks.TryGetValue(id, out var rank) ? rank : null;

    /// <summary>True for the id of a space (a cut there drops it).</summary>
    public bool IsSpace(long id) => BreakRank(id) == Breaks.Length - 1;
}
