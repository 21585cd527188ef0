using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Livepeer.Runner.Models;

/// <summary>
/// The hub's file API, as huggingface_hub uses it: <c>GET /api/models/{repo}/revision/{rev}</c> resolves a branch or
/// tag to its commit, <c>GET /api/models/{repo}/tree/{commit}?recursive=true</c> (paginated by <c>Link: rel="next"</c>)
/// lists files with sizes, blob ids and LFS sha256, and <c>GET /{repo}/resolve/{commit}/{path}</c> serves a file, with
/// <c>Range</c> for resuming. Redirects are followed by hand so the bearer token never leaves the endpoint's host
/// (LFS files are served from a CDN) and the first hop's <c>X-Repo-Commit</c> / <c>X-Linked-Etag</c> can be checked.
/// </summary>
internal sealed class HubClient(HttpClient http, HubSettings settings)
{
    private const int MaxRedirects = 5;

    /// <summary>An HttpClient for this client: no automatic redirects (see the class summary).</summary>
    public static HttpClient CreateHttp() => new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<HubTree> TreeAsync(string repo, string revision, CancellationToken cancellationToken)
    {
        var what = $"revision '{revision}' of {repo}";
        string commit;
        using (var info = await GetJsonAsync(Api(repo, $"revision/{Uri.EscapeDataString(revision)}"), repo, what, cancellationToken).ConfigureAwait(false))
        {
            commit = info.Document.RootElement.TryGetProperty("sha", out var sha) && sha.GetString() is { Length: 40 } s && IsHex(s)
                ? s
                : throw new HubException($"{settings.Endpoint} gave no commit for {what}.");
        }

        var files = new List<HubFile>();
        Uri? next = Api(repo, $"tree/{commit}?recursive=true");
        while (next is not null)
        {
            using var page = await GetJsonAsync(next, repo, $"the file list of {repo} at {commit}", cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Document.RootElement.EnumerateArray())
            {
                if (entry.GetProperty("type").GetString() != "file")
                    continue;
                var sha256 = entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? lfs.GetProperty("oid").GetString() : null;
                files.Add(new HubFile(entry.GetProperty("path").GetString()!, entry.GetProperty("size").GetInt64(), entry.GetProperty("oid").GetString()!, sha256));
            }

            next = NextPage(page.Response, next);
        }

        return new HubTree(repo, commit, files);
    }

    /// <summary>
    /// Appends <paramref name="file"/>'s bytes from the end of <paramref name="partialPath"/> (a <c>Range</c> request when
    /// it has some), calling <paramref name="progress"/> with each chunk's size. A server that ignores the range sends the
    /// whole file, which then replaces the partial one.
    /// </summary>
    public async Task DownloadAsync(HubTree tree, HubFile file, string partialPath, Action<long> progress, CancellationToken cancellationToken)
    {
        var offset = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        if (offset >= file.Size)
            offset = 0; // over-long or complete-but-unverified: start again
        var what = $"{file.Path} of {tree.Repo} at {tree.Commit}";
        var url = new Uri(settings.Endpoint, $"{tree.Repo}/resolve/{tree.Commit}/{EscapePath(file.Path)}");
        using var response = await SendAsync(url, offset, tree.Repo, what, first => CheckMetadata(first, tree, file), cancellationToken).ConfigureAwait(false);

        var resumed = offset > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        await using var output = new FileStream(partialPath, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        if (!resumed && offset > 0)
            progress(-offset);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            progress(read);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, long offset, string repo, string what, Action<HttpResponseMessage>? checkFirst, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (settings.Token is { } token && url.Authority == settings.Endpoint.Authority)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (offset > 0)
                request.Headers.Range = new RangeHeaderValue(offset, null);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            try
            {
                if (hop == 0 && (int)response.StatusCode < 400)
                    checkFirst?.Invoke(response);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop >= MaxRedirects)
                        throw new HubException($"{settings.Endpoint} redirected {what} more than {MaxRedirects} times.");
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    response.Dispose();
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                    throw HubErrors.Describe(response, settings, repo, what);
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    /// <summary>The resolve endpoint names the commit and the blob it serves; both must be the ones the tree listed.</summary>
    private static void CheckMetadata(HttpResponseMessage response, HubTree tree, HubFile file)
    {
        if (Header(response, "X-Repo-Commit") is { } commit && !string.Equals(commit, tree.Commit, StringComparison.OrdinalIgnoreCase))
            throw new HubException($"{file.Path} of {tree.Repo} was served from commit {commit}, not {tree.Commit}.");
        var etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag;
        if (etag is not null && !string.Equals(NormalizeEtag(etag), file.Etag, StringComparison.OrdinalIgnoreCase))
            throw new HubException($"{file.Path} of {tree.Repo} was served as blob {NormalizeEtag(etag)}, but the file list names {file.Etag}.");
    }

    private async Task<JsonPage> GetJsonAsync(Uri url, string repo, string what, CancellationToken cancellationToken)
    {
        var response = await SendAsync(url, 0, repo, what, null, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new JsonPage(response, await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        catch (JsonException e)
        {
            response.Dispose();
            throw new HubException($"{settings.Endpoint} answered {what} with something that is not JSON: {e.Message}", e);
        }
    }

    private Uri Api(string repo, string rest) => new(settings.Endpoint, $"api/models/{repo}/{rest}");

    private static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
            return null;
        foreach (var link in links.SelectMany(l => l.Split(',')))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length > 1 && parts.Skip(1).Any(p => p.Replace(" ", "", StringComparison.Ordinal) == "rel=\"next\"") && parts[0].StartsWith('<') && parts[0].EndsWith('>'))
                return new Uri(current, parts[0][1..^1]);
        }

        return null;
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string NormalizeEtag(string etag) => (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim('"');

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static bool IsHex(string value) => value.All(char.IsAsciiHexDigit);

    private sealed record JsonPage(HttpResponseMessage Response, JsonDocument Document) : IDisposable
    {
        public void Dispose()
        {
            Document.Dispose();
            Response.Dispose();
        }
    }
}
