using System.Net;

namespace Livepeer.Runner.Models;

/// <summary>
/// The hub's refusals in the operator's words. The hub names the reason in <c>X-Error-Code</c> (<c>GatedRepo</c>,
/// <c>RepoNotFound</c>, <c>RevisionNotFound</c>, <c>EntryNotFound</c>) and answers 401 for a private or missing
/// repository alike when no token is sent, as huggingface_hub's <c>hf_raise_for_status</c> reads it.
/// </summary>
internal static class HubErrors
{
    public static HubException Describe(HttpResponseMessage response, HubSettings settings, string repo, string what)
    {
        var code = Header(response, "X-Error-Code");
        var message = Header(response, "X-Error-Message");
        var page = new Uri(settings.Endpoint, repo);
        var tokenNote = settings.Token is null
            ? "HF_TOKEN is not set"
            : "HF_TOKEN was sent";
        var text = code switch
        {
            "GatedRepo" => $"{repo} is a gated repository: sign in at {page}, accept its conditions, " +
                           $"then set HF_TOKEN to a read token of that account ({tokenNote}; {(int)response.StatusCode}).",
            "RevisionNotFound" => $"{what}: that revision does not exist in {repo} (404).",
            "EntryNotFound" => $"{what}: no such file in {repo} (404).",
            "RepoNotFound" => NotFound(repo, settings, (int)response.StatusCode),
            _ => response.StatusCode switch
            {
                HttpStatusCode.Unauthorized when message?.Contains("Invalid credentials", StringComparison.OrdinalIgnoreCase) == true =>
                    $"{settings.Endpoint} refused HF_TOKEN as invalid credentials while fetching {what} (401): set a valid token.",
                HttpStatusCode.Unauthorized => NotFound(repo, settings, 401),
                HttpStatusCode.Forbidden => $"{settings.Endpoint} refused access to {repo} (403, {tokenNote}): " +
                                            $"the token needs read access to the repository{(message is null ? "" : $" ({message})")}.",
                HttpStatusCode.NotFound => $"{what}: not found in {repo} (404).",
                _ => $"{settings.Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}{(message is null ? "" : $": {message}")}.",
            },
        };
        var notFound = code == "RepoNotFound" || (response.StatusCode == HttpStatusCode.Unauthorized && code is null
            && message?.Contains("Invalid credentials", StringComparison.OrdinalIgnoreCase) != true);
        return new HubException(text, repositoryNotFound: notFound);
    }

    private static string NotFound(string repo, HubSettings settings, int status) => settings.Token is null
        ? $"Repository {repo} was not found on {settings.Endpoint} ({status}); if it is private or gated, set HF_TOKEN to a token with access to it."
        : $"Repository {repo} was not found on {settings.Endpoint} ({status}), or the HF_TOKEN sent has no access to it.";

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
