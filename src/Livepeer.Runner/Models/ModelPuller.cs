using System.Net.Sockets;

namespace Livepeer.Runner.Models;

/// <param name="Repo">A hub repository id, <c>org/name</c>.</param>
/// <param name="Revision">A branch, tag or commit; <c>main</c> by default.</param>
/// <param name="Includes">fnmatch globs; empty: what the engines need (<see cref="FileSelection"/>).</param>
/// <param name="Dtype">The ONNX dtype to take where a repository publishes several.</param>
/// <param name="CacheAs">
/// The model id to file it under in MODEL_DIR when the export lives in another repository than the id the network asks
/// for (<c>onnx-community/sam2.1-hiera-large-ONNX</c> served as <c>facebook/sam2-hiera-large</c>); null: the repository's own.
/// </param>
/// <param name="MaxBytes">The most the selected files may weigh together; null: no bound.</param>
internal sealed record PullRequest(string Repo, string Revision, IReadOnlyList<string> Includes, string Dtype, string? CacheAs = null, long? MaxBytes = null)
{
    public string CacheId => CacheAs ?? Repo;
}

/// <summary>Where a pull left the model: the snapshot folder the runner reads, and what it holds.</summary>
internal sealed record PullResult(string Repo, string Commit, string Snapshot, int Files, long Bytes);

/// <summary>
/// Fetches a repository's selected files into the cache: every blob is downloaded to <c>&lt;etag&gt;.incomplete</c>
/// (resumed from what is there, after a dropped connection or a Ctrl-C), verified, then renamed; only when every file
/// is verified are the snapshot's links and the ref written, so a failed pull never leaves the runner a half model.
/// Blobs already in the cache are not fetched again.
/// </summary>
internal sealed class ModelPuller(HubClient hub, HubCache cache, IPullProgress progress, int parallelism = 4)
{
    /// <summary>Tries per file; each try resumes from the bytes the last one wrote.</summary>
    private const int Attempts = 4;

    public async Task<PullResult> PullAsync(PullRequest request, CancellationToken cancellationToken)
    {
        cache.RepoFolder(request.Repo); // refuses an id that is not org/name before any request
        var id = request.CacheId;
        cache.RepoFolder(id);
        var tree = await hub.TreeAsync(request.Repo, request.Revision, cancellationToken).ConfigureAwait(false);
        var selection = FileSelection.Select(tree.Files, request.Includes, request.Dtype);
        foreach (var note in selection.Notes)
            progress.Note("note: " + note);
        if (selection.Files.Count == 0)
            throw new HubException(request.Includes.Count > 0
                ? $"No file of {request.Repo} at {tree.Commit} matches {string.Join(" ", request.Includes)}."
                : $"{request.Repo} at {tree.Commit} has no ONNX graphs or configuration files this runner reads; see the catalog (models/catalog.json) for an export.");

        if (request.MaxBytes is { } limit && selection.Files.Sum(f => f.Size) is var total && total > limit)
            throw new HubException($"The files of {request.Repo} matching {string.Join(" ", request.Includes)} weigh {total} bytes, more than the {limit} allowed.");

        // Files with the same content share one blob (two identical config.json files): fetch it once, or two downloads
        // would write one .incomplete file at the same time.
        await Parallel.ForEachAsync(selection.Files.DistinctBy(f => f.Etag), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            (file, token) => new ValueTask(FetchAsync(tree, id, file, token))).ConfigureAwait(false);

        foreach (var file in selection.Files)
            cache.Link(id, tree.Commit, file.Path, file.Etag);
        foreach (var (alias, target) in selection.Aliases)
        {
            if (!tree.Files.Any(f => f.Path == alias))
                cache.Link(id, tree.Commit, alias, selection.Files.Single(f => f.Path == target).Etag);
        }

        cache.WriteRef(id, request.Revision, tree.Commit);
        return new PullResult(id, tree.Commit, cache.Snapshot(id, tree.Commit), selection.Files.Count, selection.Files.Sum(f => f.Size));
    }

    private async Task FetchAsync(HubTree tree, string id, HubFile file, CancellationToken cancellationToken)
    {
        var blob = cache.Blob(id, file.Etag);
        if (File.Exists(blob))
        {
            progress.Start(file, file.Size).Finish("already in the cache");
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var partial = HubCache.Incomplete(blob);
        var already = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        var bar = progress.Start(file, already);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await hub.DownloadAsync(tree, file, partial, bar.Advance, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (attempt < Attempts && IsDropped(e) && !cancellationToken.IsCancellationRequested)
            {
                // The connection dropped: the next try asks for the rest with a Range request.
            }
        }

        if (await BlobCheck.ProblemAsync(partial, file, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            File.Delete(partial);
            bar.Finish("corrupt, deleted");
            throw new HubException($"{file.Path} of {tree.Repo} at {tree.Commit} arrived corrupted ({problem}); it was deleted and nothing was linked. Run the pull again.");
        }

        File.Move(partial, blob, overwrite: true);
        bar.Finish(file.IsLfs ? "sha256 verified" : "size and git blob id verified");
    }

    private static bool IsDropped(Exception e) => e is HttpRequestException or IOException or SocketException
        || e.InnerException is { } inner && IsDropped(inner);
}
