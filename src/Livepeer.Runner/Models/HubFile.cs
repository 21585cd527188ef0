namespace Livepeer.Runner.Models;

/// <summary>
/// One file of a repository at a commit, as the hub's tree lists it: its size, its git blob id and, for a file kept in
/// Git LFS, the sha256 of its content. The cache names its blob by <see cref="Etag"/>, as huggingface_hub does.
/// </summary>
internal sealed record HubFile(string Path, long Size, string BlobId, string? Sha256)
{
    public bool IsLfs => Sha256 is not null;

    /// <summary>The blob's name in the cache: the LFS sha256, else the git blob sha1 (the hub's ETag for the file).</summary>
    public string Etag => Sha256 ?? BlobId;
}

/// <summary>A repository's files at one resolved commit.</summary>
internal sealed record HubTree(string Repo, string Commit, IReadOnlyList<HubFile> Files);
