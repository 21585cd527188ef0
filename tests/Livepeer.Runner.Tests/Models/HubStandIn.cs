using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Tests.Models;

/// <summary>
/// An in-process stand-in for the Hugging Face hub's file API, over real HTTP (Kestrel on a loopback port), written
/// from huggingface_hub's behaviour: <c>/api/models/{repo}/revision/{rev}</c> (the commit), a paginated
/// <c>/api/models/{repo}/tree/{rev}?recursive=true</c> (sizes, git blob ids, LFS sha256), and
/// <c>/{repo}/resolve/{rev}/{path}</c>: small files served with <c>ETag</c> (the git blob id) and <c>X-Repo-Commit</c>,
/// LFS files redirected to a CDN path with <c>X-Linked-Etag</c> / <c>X-Linked-Size</c>; <c>Range</c> honoured; errors
/// with the hub's <c>X-Error-Code</c>. Repositories are folders of test files; faults can be injected per file.
/// </summary>
internal sealed class HubStandIn : IAsyncDisposable
{
    public const string GoodToken = "hf_stand_in_token";
    private const int TreePageSize = 4;

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, StandInRepo> _repos = new(StringComparer.Ordinal);

    private HubStandIn(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request: method, path and query, Range, and whether it carried the token.</summary>
    public ConcurrentQueue<SeenRequest> Seen { get; } = new();

    /// <summary>Files (by path) whose next download is cut after this many bytes.</summary>
    public ConcurrentDictionary<string, int> DropAfter { get; } = new(StringComparer.Ordinal);

    /// <summary>Files (by path) served with one byte flipped.</summary>
    public ConcurrentDictionary<string, bool> Corrupt { get; } = new(StringComparer.Ordinal);

    public static async Task<HubStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var hub = new HubStandIn(app);
        hub.Map();
        await app.StartAsync();
        hub.Endpoint = new Uri(app.Urls.Single());
        return hub;
    }

    /// <summary>Serves <paramref name="folder"/>'s files as repository <paramref name="repo"/> at one commit on <c>main</c>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "A commit id is a SHA-1, as git makes them.")]
    public StandInRepo Add(string repo, string folder, bool gated = false)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(p => StandInFile.Of(Path.GetRelativePath(folder, p).Replace('\\', '/'), File.ReadAllBytes(p)))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        var commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repo + string.Concat(files.Select(f => f.Path + f.Etag)))));
        var standIn = new StandInRepo(repo, commit, files, gated);
        _repos[repo] = standIn;
        return standIn;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            Seen.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.Range.ToString(), context.Request.Headers.Authorization.ToString() == $"Bearer {GoodToken}"));
            await next(context);
        });
        _app.MapGet("/api/models/{org}/{name}/revision/{revision}", (HttpContext context, string org, string name, string revision) =>
            WithRepo(context, $"{org}/{name}", revision, repo => Results.Json(new { id = repo.Name, sha = repo.Commit, siblings = repo.Files.Select(f => new { rfilename = f.Path }) })));
        _app.MapGet("/api/models/{org}/{name}/tree/{revision}", (HttpContext context, string org, string name, string revision, int? cursor) =>
            WithRepo(context, $"{org}/{name}", revision, repo => Tree(context, repo, revision, cursor ?? 0)));
        _app.MapGet("/{org}/{name}/resolve/{revision}/{**path}", (HttpContext context, string org, string name, string revision, string path) =>
            WithRepo(context, $"{org}/{name}", revision, repo => Resolve(context, repo, path)));
        _app.MapGet("/cdn/{sha256}", (HttpContext context, string sha256) =>
            _repos.Values.SelectMany(r => r.Files).FirstOrDefault(f => f.Sha256 == sha256) is { } file ? Serve(context, file) : Results.NotFound());
    }

    private IResult WithRepo(HttpContext context, string name, string revision, Func<StandInRepo, IResult> answer)
    {
        var authorized = context.Request.Headers.Authorization.ToString() == $"Bearer {GoodToken}";
        if (!_repos.TryGetValue(name, out var repo))
            return Error(context, authorized ? 404 : 401, "RepoNotFound", "Repository not found");
        if (repo.Gated && !authorized)
            return Error(context, context.Request.Headers.Authorization.Count == 0 ? 401 : 403, "GatedRepo",
                $"Access to model {name} is restricted. You must have access to it and be authenticated to access it. Please log in.");
        if (revision != "main" && revision != repo.Commit)
            return Error(context, 404, "RevisionNotFound", "Invalid rev id: " + revision);
        return answer(repo);
    }

    private static IResult Tree(HttpContext context, StandInRepo repo, string revision, int cursor)
    {
        // Directories appear in the listing as the hub lists them; files carry lfs only when kept in LFS.
        var folders = repo.Files.Select(f => f.Path).Where(p => p.Contains('/')).Select(p => p[..p.LastIndexOf('/')]).Distinct()
            .Select(p => (object)new { type = "directory", oid = new string('0', 40), size = 0, path = p });
        var entries = folders.Concat(repo.Files.Select(f => f.Sha256 is null
            ? (object)new { type = "file", oid = f.BlobId, size = f.Content.Length, path = f.Path }
            : new { type = "file", oid = f.BlobId, size = f.Content.Length, path = f.Path, lfs = new { oid = f.Sha256, size = f.Content.Length, pointerSize = 134 } })).ToList();
        var page = entries.Skip(cursor).Take(TreePageSize).ToList();
        if (cursor + TreePageSize < entries.Count)
            context.Response.Headers.Link = $"<{context.Request.Path}?recursive=true&cursor={cursor + TreePageSize}>; rel=\"next\"";
        return Results.Json(page);
    }

    private IResult Resolve(HttpContext context, StandInRepo repo, string path)
    {
        if (repo.Files.FirstOrDefault(f => f.Path == path) is not { } file)
            return Error(context, 404, "EntryNotFound", $"{path} does not exist on \"main\"");
        var headers = context.Response.Headers;
        headers["X-Repo-Commit"] = repo.Commit;
        if (file.Sha256 is { } sha)
        {
            headers["X-Linked-Etag"] = $"\"{sha}\"";
            headers["X-Linked-Size"] = file.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // The CDN is another host, as the hub's is (here: the same server under another name), so the token must not follow.
            return Results.Redirect(new UriBuilder(context.Request.Scheme, "localhost", context.Connection.LocalPort, $"/cdn/{sha}").Uri.ToString());
        }

        headers.ETag = $"\"{file.BlobId}\"";
        return Serve(context, file);
    }

    private IResult Serve(HttpContext context, StandInFile file)
    {
        var content = file.Content;
        if (Corrupt.ContainsKey(file.Path))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0x5a;
        }

        var start = 0;
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            start = int.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        return new Body(content, start, DropAfter.TryRemove(file.Path, out var cut) ? cut : null);
    }

    private static IResult Error(HttpContext context, int status, string code, string message)
    {
        context.Response.Headers["X-Error-Code"] = code;
        context.Response.Headers["X-Error-Message"] = message;
        return Results.Json(new { error = message }, statusCode: status);
    }

    /// <summary>The bytes from <c>start</c> (206 with Content-Range when asked for a range), cut after <c>drop</c> bytes as a dropped connection cuts it.</summary>
    private sealed class Body(byte[] content, int start, int? drop) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.Headers.AcceptRanges = "bytes";
            if (start > 0)
            {
                response.StatusCode = 206;
                response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
            }

            response.ContentLength = content.Length - start;
            if (drop is { } cut)
            {
                // Fewer bytes than Content-Length promised: Kestrel closes the connection after sending them.
                await response.Body.WriteAsync(content.AsMemory(start, cut));
                return;
            }

            await response.Body.WriteAsync(content.AsMemory(start));
        }
    }
}

internal sealed record SeenRequest(string Method, string PathAndQuery, string Range, bool WithToken);

internal sealed record StandInRepo(string Name, string Commit, IReadOnlyList<StandInFile> Files, bool Gated)
{
    public StandInFile File(string path) => Files.Single(f => f.Path == path);
}

/// <summary>A file as the hub keeps it: the git blob id always, the sha256 when it is in LFS (graphs and weights, as a model repo's .gitattributes puts them).</summary>
internal sealed record StandInFile(string Path, byte[] Content, string BlobId, string? Sha256)
{
    public string Etag => Sha256 ?? BlobId;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "git names blobs by SHA-1; it identifies, it does not protect.")]
    public static StandInFile Of(string path, byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        var blobId = Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
        var lfs = path.EndsWith(".onnx", StringComparison.Ordinal) || path.EndsWith(".onnx_data", StringComparison.Ordinal) || path.EndsWith(".bin", StringComparison.Ordinal);
        return new StandInFile(path, content, blobId, lfs ? Convert.ToHexStringLower(SHA256.HashData(content)) : null);
    }
}
