namespace Livepeer.Runner.Core.Models;

/// <summary>
/// Which idle models to unload when a load does not fit.
///
/// The rule: if one idle model alone frees enough, unload the coldest such model (least recently used) — one
/// unload, and the model least likely to be asked for again. Otherwise unload the least recently used idle
/// models, coldest first, until enough is free; since every model in that set is colder than any model left, the
/// set is as cheap as recency can tell. This beats Ollama's choice by keep-alive then name, which can unload a
/// hot model, and ComfyUI's "free just the deficit" by name order. Pinned (warm) models and models with open
/// leases are never candidates; the caller passes only idle, unpinned ones.
/// </summary>
public static class EvictionPolicy
{
    public readonly record struct Candidate<T>(T Model, long Bytes, DateTimeOffset LastUsed);

    /// <summary>The models to unload to free <paramref name="deficit"/> bytes, or null when even all of them would not.</summary>
    public static IReadOnlyList<T>? Choose<T>(IEnumerable<Candidate<T>> idle, long deficit)
    {
        var byAge = idle.OrderBy(c => c.LastUsed).ToList();
        if (deficit <= 0)
            return [];

        foreach (var candidate in byAge)
        {
            if (candidate.Bytes >= deficit)
                return [candidate.Model];
        }

        var chosen = new List<T>();
        long freed = 0;
        foreach (var candidate in byAge)
        {
            chosen.Add(candidate.Model);
            freed += candidate.Bytes;
            if (freed >= deficit)
                return chosen;
        }

        return null;
    }
}
