using System.Security.Cryptography;
using System.Text;

namespace Livepeer.Runner.Http;

/// <summary>
/// AUTH_TOKEN bearer authentication as ai-runner's HTTPBearer does it: scheme "bearer" in any case, the
/// credentials being everything after the first space. The comparison is constant-time over SHA-256 digests,
/// so neither the content nor the length of the token leaks through timing.
/// </summary>
internal sealed class BearerAuth
{
    private readonly byte[]? _tokenDigest;

    public BearerAuth(string? token)
    {
        _tokenDigest = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    public bool Enabled => _tokenDigest is not null;

    public bool IsAuthorized(HttpRequest request)
    {
        if (_tokenDigest is null)
            return true;

        var header = request.Headers.Authorization.ToString();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || space == header.Length - 1)
            return false;
        if (!header.AsSpan(0, space).Equals("bearer", StringComparison.OrdinalIgnoreCase))
            return false;

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[(space + 1)..]));
        return CryptographicOperations.FixedTimeEquals(given, _tokenDigest);
    }
}
