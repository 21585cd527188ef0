using System.Text.Json;

namespace Livepeer.Runner.Models;

/// <summary>
/// The LoRA repositories this runner downloaded into MODEL_DIR, with their size on disk and their order of last use,
/// kept in <c>lora-downloads.json</c> beside the cache's repositories so it outlives the process. When a download
/// takes them past RUNNER_LORA_CACHE_BYTES together, the least recently used are deleted from the cache (never the
/// one just downloaded). Repositories pulled by <c>models pull</c> or by hand are not in it and are never deleted.
/// </summary>
internal sealed class LoraDiskCache(HubCache cache, long maxBytes)
{
    public const string FileName = "lora-downloads.json";

    private readonly Lock _gate = new();
    private Dictionary<string, Entry>? _entries;

    private sealed record Entry(long Bytes, long LastUse);

    private string IndexPath => Path.Combine(cache.Root, FileName);

    /// <summary>Marks <paramref name="repo"/> as just used, if this runner downloaded it.</summary>
    public void Used(string repo)
    {
        lock (_gate)
        {
            var entries = Entries();
            if (entries.TryGetValue(repo, out var entry) && entry.LastUse != entries.Values.Max(e => e.LastUse))
            {
                entries[repo] = entry with { LastUse = NextUse(entries) };
                Save(entries);
            }
        }
    }

    /// <summary>
    /// After a pull of <paramref name="repo"/>: records it, when this runner created its folder (<paramref name="created"/>)
    /// or downloaded it before, and deletes the least recently used others past the bound; returns those deleted.
    /// </summary>
    public IReadOnlyList<string> Pulled(string repo, bool created)
    {
        lock (_gate)
        {
            var entries = Entries();
            if (created || entries.ContainsKey(repo))
                entries[repo] = new Entry(SizeOnDisk(cache.RepoFolder(repo)), NextUse(entries));
            var deleted = new List<string>();
            foreach (var (oldest, _) in entries.Where(e => e.Key != repo).OrderBy(e => e.Value.LastUse).ToList())
            {
                if (entries.Values.Sum(e => e.Bytes) <= maxBytes)
                    break;
                var folder = cache.RepoFolder(oldest);
                if (Directory.Exists(folder))
                    Directory.Delete(folder, recursive: true);
                entries.Remove(oldest);
                deleted.Add(oldest);
            }

            Save(entries);
            return deleted;
        }
    }

    private static long NextUse(Dictionary<string, Entry> entries) => entries.Count == 0 ? 1 : entries.Values.Max(e => e.LastUse) + 1;

    /// <summary>The bytes of a repository's blobs (its snapshots are links to them).</summary>
    private static long SizeOnDisk(string folder)
    {
        var blobs = Path.Combine(folder, "blobs");
        return Directory.Exists(blobs) ? new DirectoryInfo(blobs).EnumerateFiles().Sum(f => f.Length) : 0;
    }

    private Dictionary<string, Entry> Entries()
    {
        if (_entries is not null)
            return _entries;
        try
        {
            _entries = File.Exists(IndexPath)
                ? JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllBytes(IndexPath)) ?? []
                : [];
        }
        catch (JsonException)
        {
            _entries = []; // a damaged index forgets what it tracked: those repositories are kept, as if pulled by hand
        }

        return _entries;
    }

    private void Save(Dictionary<string, Entry> entries)
    {
        Directory.CreateDirectory(cache.Root);
        var temporary = IndexPath + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(entries));
        File.Move(temporary, IndexPath, overwrite: true);
    }
}
