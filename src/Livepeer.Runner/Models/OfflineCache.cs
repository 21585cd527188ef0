namespace Livepeer.Runner.Models;

/// <summary>
/// <c>HF_HUB_OFFLINE=1</c>: no request leaves the machine; a pull only confirms that the cache already holds the
/// revision (its ref, or the commit itself) and that every file of its snapshot has its blob.
/// </summary>
internal static class OfflineCache
{
    public static PullResult Confirm(HubCache cache, PullRequest request)
    {
        var commit = cache.ResolveOffline(request.CacheId, request.Revision)
            ?? throw new HubException($"HF_HUB_OFFLINE is set and the cache has no '{request.Revision}' of {request.CacheId} under {cache.Root}; pull it on a machine with access first.");
        var snapshot = cache.Snapshot(request.CacheId, commit);
        if (!Directory.Exists(snapshot))
            throw new HubException($"HF_HUB_OFFLINE is set and the snapshot {snapshot} of {request.CacheId} is missing.");

        var files = Directory.EnumerateFileSystemEntries(snapshot, "*", SearchOption.AllDirectories)
            .Where(p => !Directory.Exists(p) || new FileInfo(p).LinkTarget is not null)
            .ToList();
        var dangling = files.Where(p => !File.Exists(p)).Select(p => Path.GetRelativePath(snapshot, p)).ToList();
        if (dangling.Count > 0)
            throw new HubException($"HF_HUB_OFFLINE is set and the snapshot of {request.CacheId} at {commit} lacks the blobs of {string.Join(", ", dangling)}.");
        if (request.Includes.Count > 0)
        {
            var relative = files.Select(p => Path.GetRelativePath(snapshot, p).Replace(Path.DirectorySeparatorChar, '/')).ToList();
            foreach (var pattern in request.Includes)
            {
                var glob = FileSelection.Glob(pattern);
                if (!relative.Any(glob.IsMatch))
                    throw new HubException($"HF_HUB_OFFLINE is set and the snapshot of {request.CacheId} at {commit} has no file matching {pattern}.");
            }
        }

        return new PullResult(request.CacheId, commit, snapshot, files.Count, files.Sum(Sizes.Of));
    }
}
