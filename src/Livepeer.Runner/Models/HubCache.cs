using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Models;

/// <summary>
/// The Hugging Face cache layout under MODEL_DIR, as huggingface_hub writes it and <c>ModelLocator</c> reads it:
/// <c>models--org--name/blobs/&lt;etag&gt;</c> (downloads land as <c>&lt;etag&gt;.incomplete</c> first),
/// <c>snapshots/&lt;commit&gt;/&lt;path&gt;</c> as relative symlinks to the blobs, and <c>refs/&lt;revision&gt;</c> holding the
/// commit a branch or tag named.
/// </summary>
internal sealed class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string RepoFolder(string repo)
    {
        if (!ModelIdRules.IsSafe(repo) || !repo.Contains('/', StringComparison.Ordinal))
            throw new HubException($"'{repo}' is not a Hugging Face repository id (org/name).");
        return Path.Combine(Root, ModelLocator.CacheFolderName(repo));
    }

    public string Blob(string repo, string etag) => Path.Combine(RepoFolder(repo), "blobs", etag);

    public static string Incomplete(string blob) => blob + ".incomplete";

    public string Snapshot(string repo, string commit) => Path.Combine(RepoFolder(repo), "snapshots", commit);

    /// <summary>The snapshot's entry for <paramref name="path"/>; a path that would leave the snapshot is refused.</summary>
    public string SnapshotFile(string repo, string commit, string path)
    {
        var snapshot = Snapshot(repo, commit);
        var full = Path.GetFullPath(Path.Combine(snapshot, path));
        if (path.Contains('\\', StringComparison.Ordinal) || !full.StartsWith(snapshot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new HubException($"{repo} lists a file '{path}' outside its folder; refusing it.");
        return full;
    }

    /// <summary>Points the snapshot's <paramref name="path"/> at its blob with a relative link, as huggingface_hub's <c>_create_symlink</c>.</summary>
    public void Link(string repo, string commit, string path, string etag)
    {
        var link = SnapshotFile(repo, commit, path);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null)
            File.Delete(link);
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, Blob(repo, etag)));
    }

    /// <summary>Records the commit a branch or tag resolved to; a revision that is the commit itself has no ref.</summary>
    public void WriteRef(string repo, string revision, string commit)
    {
        if (string.Equals(revision, commit, StringComparison.OrdinalIgnoreCase))
            return;
        var path = RefPath(repo, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, commit);
    }

    /// <summary>The commit <paramref name="revision"/> names in the cache (a commit names itself), or null.</summary>
    public string? ResolveOffline(string repo, string revision)
    {
        if (revision.Length == 40 && revision.All(char.IsAsciiHexDigit))
            return revision;
        var path = RefPath(repo, revision);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private string RefPath(string repo, string revision)
    {
        var refs = Path.Combine(RepoFolder(repo), "refs");
        var path = Path.GetFullPath(Path.Combine(refs, revision));
        if (!path.StartsWith(refs + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new HubException($"'{revision}' is not a revision name.");
        return path;
    }
}
