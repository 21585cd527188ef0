namespace Livepeer.Runner.Models;

/// <summary>
/// The hub client's settings, from the variables huggingface_hub reads: <c>HF_ENDPOINT</c> (a mirror), <c>HF_TOKEN</c>
/// (sent as a bearer token; gated and private repositories need one) and <c>HF_HUB_OFFLINE=1</c> (use only the cache).
/// </summary>
internal sealed record HubSettings(Uri Endpoint, string? Token, bool Offline)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public static HubSettings FromVariables(Func<string, string?> variables)
    {
        // A trailing slash, so a mirror under a path prefix (https://mirror/hf) keeps its prefix in every URL.
        var endpoint = (variables("HF_ENDPOINT") is { Length: > 0 } e ? e.TrimEnd('/') : DefaultEndpoint) + "/";
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new HubException($"HF_ENDPOINT '{endpoint}' is not an http(s) URL.");
        var token = variables("HF_TOKEN") is { Length: > 0 } t ? t.Trim() : null;
        var offline = variables("HF_HUB_OFFLINE") is { } o && o.Trim() is "1" or "true" or "TRUE" or "yes" or "ON" or "on";
        return new HubSettings(uri, token, offline);
    }
}

/// <summary>
/// A hub or cache failure the operator can act on; the message says what to do. <see cref="RepositoryNotFound"/>: the
/// hub said the repository does not exist (or is private to others), huggingface_hub's RepositoryNotFoundError.
/// </summary>
internal sealed class HubException(string message, Exception? inner = null, bool repositoryNotFound = false) : Exception(message, inner)
{
    public bool RepositoryNotFound { get; } = repositoryNotFound;
}
