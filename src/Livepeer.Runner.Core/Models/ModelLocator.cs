using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Models;

/// <summary>
/// Finds a model's files: the entry's explicit path, else under MODEL_DIR in the Hugging Face cache layout
/// (<c>models--org--name/snapshots/&lt;rev&gt;/</c>, the revision named by <c>refs/main</c> when present), else
/// as a plain <c>MODEL_DIR/org/name/</c> folder. Nothing it returns lies outside MODEL_DIR unless the operator
/// configured that path.
/// </summary>
public sealed class ModelLocator(string modelDir)
{
    private readonly string _root = Path.GetFullPath(modelDir);

    public string Root => _root;

    /// <summary>A repository's folder name in the Hugging Face cache: <c>models--org--name</c>.</summary>
    public static string CacheFolderName(string modelId) => "models--" + modelId.Replace("/", "--", StringComparison.Ordinal);

    public string Locate(ModelEntry entry)
    {
        if (entry.Path is { } configured)
        {
            if (File.Exists(configured) || Directory.Exists(configured))
                return configured;
            throw new ModelLoadException(entry.ModelId, $"Model path '{configured}' for {entry.ModelId} does not exist.");
        }

        if (!ModelIdRules.IsSafe(entry.ModelId))
            throw new ModelLoadException(entry.ModelId, $"'{entry.ModelId}' is not a valid model id.");

        var cacheFolder = Inside(Path.Combine(_root, CacheFolderName(entry.ModelId)));
        if (Snapshot(cacheFolder) is { } snapshot)
            return snapshot;

        var plainFolder = Inside(Path.Combine(_root, entry.ModelId));
        if (Directory.Exists(plainFolder))
            return plainFolder;

        throw new ModelLoadException(entry.ModelId,
            $"Model files for {entry.ModelId} were not found in '{cacheFolder}' or '{plainFolder}'. " +
            "Prepare the model under MODEL_DIR (see README) or give the entry a 'path'.");
    }

    private static string? Snapshot(string cacheFolder)
    {
        var snapshots = Path.Combine(cacheFolder, "snapshots");
        if (!Directory.Exists(snapshots))
            return null;

        var refMain = Path.Combine(cacheFolder, "refs", "main");
        if (File.Exists(refMain))
        {
            var revision = File.ReadAllText(refMain).Trim();
            var named = Path.Combine(snapshots, revision);
            if (revision.Length > 0 && !revision.Contains('/', StringComparison.Ordinal) && !revision.Contains("..", StringComparison.Ordinal) && Directory.Exists(named))
                return named;
        }

        // No usable ref: take the newest snapshot, as the hub client does when offline.
        return new DirectoryInfo(snapshots).GetDirectories()
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .Select(d => d.FullName)
            .FirstOrDefault();
    }

    private string Inside(string candidate)
    {
        var full = Path.GetFullPath(candidate);
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ModelLoadException(candidate, "A model id may not name a path outside MODEL_DIR.");
        return full;
    }
}
