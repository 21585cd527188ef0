using System.Security.Cryptography;
using System.Text;

namespace Livepeer.Runner.Models;

/// <summary>
/// Whether a downloaded file is the one the tree listed: the sha256 of its content for an LFS file; for any other file
/// its size and git blob id (sha1 of <c>"blob &lt;size&gt;\0"</c> + content), which is also its blob name.
/// </summary>
internal static class BlobCheck
{
    /// <summary>Null when the file is right, else what is wrong with it.</summary>
    public static async Task<string?> ProblemAsync(string path, HubFile file, CancellationToken cancellationToken)
    {
        var size = new FileInfo(path).Length;
        if (size != file.Size)
            return $"it has {size} bytes, the hub lists {file.Size}";

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        string actual;
        if (file.Sha256 is { } expected)
        {
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase) ? null : $"its sha256 is {actual}, the hub lists {expected}";
        }

        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            sha1.AppendData(buffer, 0, read);
        actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
        return string.Equals(actual, file.BlobId, StringComparison.OrdinalIgnoreCase) ? null : $"its git blob id is {actual}, the hub lists {file.BlobId}";
    }
}
