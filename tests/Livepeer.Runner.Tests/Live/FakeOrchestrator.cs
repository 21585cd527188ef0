using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// An in-process stand-in for go-livepeer's Live Runner side (LIVE-RUNNER.md §1.5, §1.6, §3), on a real loopback
/// HTTP server: <c>POST /runners/heartbeat</c> (bootstrap with the orchestrator secret, later beats with the
/// returned heartbeat secret, full-body replace, TTL expiry on the injected clock), <c>POST /runners/{id}/unregister</c>,
/// and the single-shot reverse proxy <c>/apps/{id}/app/{path}</c> with per-registration capacity and the four
/// injected headers. go-livepeer itself cannot be built here. It listens on two loopback ports, the second standing for
/// its runner-facing <c>-liveRunnerAddr</c>, over HTTPS when given a certificate (go-livepeer's usual self-signed one).
/// </summary>
internal sealed class FakeOrchestrator : IAsyncDisposable
{
    public const string NoCapacity = "no capacity available for runner";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(20);

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, Runner> _runners = new(StringComparer.Ordinal);
    private readonly Channel<Beat> _beats = Channel.CreateUnbounded<Beat>();
    private readonly Channel<string> _proxyEnded = Channel.CreateUnbounded<string>();
    private readonly AsyncLocal<int> _port = new();
    private int _disposed;

    private FakeOrchestrator(WebApplication app, string secret, TimeProvider time, HttpMessageHandler upstream)
    {
        _app = app;
        Secret = secret;
        _time = time;
        _upstream = new HttpClient(upstream, disposeHandler: false);
    }

    public string Secret { get; }

    /// <summary>When set, every heartbeat fails field validation (400) with this message, as a misconfigured registration does.</summary>
    public string? RefuseWith { get; set; }

    public Uri Url { get; private set; } = null!;

    /// <summary>The second address, for a test that returns it as the runner-facing URL.</summary>
    public Uri RunnerFacingUrl { get; private set; } = null!;

    /// <summary>What replies name as <c>orchestrator</c> (go-livepeer's <c>-liveRunnerAddr</c>); <see cref="Url"/> unless set.</summary>
    public Uri? ReturnedOrchestrator { get; set; }

    /// <summary>Every heartbeat as received, in order, with its answer.</summary>
    public ConcurrentQueue<Beat> Beats { get; } = new();

    public ConcurrentQueue<(string RunnerId, string Authorization, int Status)> Unregistrations { get; } = new();

    /// <summary>Every Livepeer-Session-Token the proxy sent (callback credentials the runner must never log).</summary>
    public ConcurrentQueue<string> SessionTokens { get; } = new();

    /// <summary>Requests the proxy forwarded (it had capacity), by runner id.</summary>
    public ConcurrentQueue<(string RunnerId, string Path, int Status)> Forwarded { get; } = new();

    /// <param name="upstream">How the proxy reaches runners (a loopback socket handler, or the test host's in-memory one).</param>
    /// <param name="certificate">Serve HTTPS with it; plain HTTP without.</param>
    public static async Task<FakeOrchestrator> StartAsync(string secret, TimeProvider time, HttpMessageHandler upstream, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // go-livepeer's proxy limits no body (LIVE-RUNNER §1.5); Kestrel's default would cut at 30 MB.
            kestrel.Limits.MaxRequestBodySize = null;
            for (var i = 0; i < 2; i++)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen =>
                {
                    if (certificate is not null)
                        listen.UseHttps(certificate);
                });
            }
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var orchestrator = new FakeOrchestrator(app, secret, time, upstream);
        app.MapPost("/runners/heartbeat", (Delegate)orchestrator.HeartbeatAsync);
        app.MapPost("/runners/{id}/unregister", (Delegate)orchestrator.Unregister);
        app.Map("/apps/{id}/app/{**path}", (Delegate)orchestrator.ProxyAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        orchestrator.Url = addresses[0];
        orchestrator.RunnerFacingUrl = addresses[1];
        return orchestrator;
    }

    /// <summary>The next heartbeat received (bounded, so a broken loop fails the test rather than hanging it).</summary>
    public async Task<Beat> NextBeatAsync() => await _beats.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>The session of the next proxied request to end, once its slot is free (bounded, as <see cref="NextBeatAsync"/>).</summary>
    public async Task<string> NextProxyEndAsync() => await _proxyEnded.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>Drops a runner as the TTL sweep does: its next beat is a new registration with the wrong secret (401).</summary>
    public void Forget(string runnerId) => _runners.TryRemove(runnerId, out _);

    /// <summary>The expiry sweep (every interval in go-livepeer): removes runners whose last beat is older than the TTL.</summary>
    public void Sweep()
    {
        foreach (var (id, runner) in _runners)
        {
            if (_time.GetUtcNow() - runner.LastBeat > Ttl)
                _runners.TryRemove(id, out _);
        }
    }

    /// <summary>Marks a runner's last beat as older than the TTL, as before the sweep: its next beat is a 404.</summary>
    public void Expire(string runnerId)
    {
        if (_runners.TryGetValue(runnerId, out var runner))
            runner.Expire();
    }

    public string? HeartbeatSecretOf(string runnerId) => _runners.TryGetValue(runnerId, out var runner) ? runner.HeartbeatSecret : null;

    public IReadOnlyCollection<string> RunnerIds => [.. _runners.Keys];

    public int ActiveSessions(string runnerId) => ActiveSessionIds(runnerId).Count;

    /// <summary>The sessions the proxy holds for a runner, oldest first: what go-livepeer's replies list as <c>session_ids</c>.</summary>
    public IReadOnlyList<string> ActiveSessionIds(string runnerId)
    {
        if (!_runners.TryGetValue(runnerId, out var runner))
            return [];
        lock (runner)
            return [.. runner.Sessions.Keys];
    }

    /// <summary>
    /// A failed payment on a metered session (LIVE-RUNNER §1.6): go-livepeer releases each of the runner's sessions and
    /// cancels its request's context, which aborts the proxied request to the runner.
    /// </summary>
    public void FailPayments(string runnerId)
    {
        if (!_runners.TryGetValue(runnerId, out var runner))
            return;
        List<CancellationTokenSource> cancelled;
        lock (runner)
        {
            cancelled = [.. runner.Sessions.Values];
            runner.Sessions.Clear();
        }

        foreach (var session in cancelled)
            session.Cancel();
    }

    private async Task<IResult> HeartbeatAsync(HttpContext context)
    {
        _port.Value = context.Connection.LocalPort;
        var authorization = context.Request.Headers.Authorization.ToString();
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.Clone();
        }
        catch (JsonException)
        {
            return Record(default, "", authorization, false, Results.Text("invalid json", statusCode: 400));
        }

        // Field validation comes before authentication (LR normalizeHeartbeat).
        if ((RefuseWith ?? Validate(body)) is { } problem)
            return Record(body, "", authorization, false, Results.Text(problem, statusCode: 400));

        var id = Text(body, "runner_id")?.Trim() ?? "";
        var now = _time.GetUtcNow();
        if (id.Length > 0 && _runners.TryGetValue(id, out var known))
        {
            if (now - known.LastBeat > Ttl)
                return Record(body, id, authorization, false, Results.Text("runner not found", statusCode: 404));
            if (!Equal(authorization, known.HeartbeatSecret))
                return Record(body, id, authorization, false, Results.Text("invalid heartbeat authorization", statusCode: 401));
            known.Update(body, now);
            return Record(body, id, authorization, false, Reply(id, null));
        }

        if (!Equal(authorization, Secret))
            return Record(body, id, authorization, true, Results.Text("invalid registration authorization", statusCode: 401));
        if (id.Length == 0)
            id = "runner_" + Base32(5);
        var runner = new Runner(id, Base32(32));
        runner.Update(body, now);
        _runners[id] = runner;
        return Record(body, id, authorization, true, Reply(id, runner.HeartbeatSecret));
    }

    private IResult Reply(string id, string? heartbeatSecret)
    {
        var reply = new Dictionary<string, object?>
        {
            ["runner_id"] = id,
            ["orchestrator"] = (ReturnedOrchestrator ?? Url).ToString().TrimEnd('/'),
            ["heartbeat_interval"] = "5s",
            ["heartbeat_ttl"] = "20s",
            ["session_ids"] = ActiveSessionIds(id),
        };
        if (heartbeatSecret is not null)
        {
            reply["heartbeat_secret"] = heartbeatSecret;
            // Only on the first reply; the channel name is a credential (HMAC of the runner's seed).
            var channel = $"{id}-{O2rChannel(heartbeatSecret)}-o2r";
            reply["o2r"] = new Dictionary<string, string> { ["name"] = "o2r", ["channel_name"] = channel, ["url"] = $"{Url.ToString().TrimEnd('/')}/ai/trickle/{channel}", ["mime_type"] = "application/json" };
        }
        return Results.Json(reply);
    }

    private IResult Record(JsonElement body, string id, string authorization, bool bootstrap, IResult result)
    {
        var status = (result as IStatusCodeHttpResult)?.StatusCode ?? 200;
        // A beat is a bootstrap when it carries the orchestrator secret, whatever the registry made of it.
        var beat = new Beat(_time.GetUtcNow(), id, authorization, bootstrap || Equal(authorization, Secret), status, body, _port.Value);
        Beats.Enqueue(beat);
        _beats.Writer.TryWrite(beat);
        return result;
    }

    private IResult Unregister(string id, HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        int status;
        if (!_runners.TryGetValue(id, out var runner) || _time.GetUtcNow() - runner.LastBeat > Ttl)
            status = 404;
        else if (!Equal(authorization, runner.HeartbeatSecret))
            status = 401;
        else
        {
            _runners.TryRemove(id, out _);
            status = 204;
        }

        Unregistrations.Enqueue((id, authorization, status));
        return status == 204 ? Results.NoContent() : Results.Text("runner not found", statusCode: status);
    }

    /// <summary>The single-shot proxy: reserve a slot or 503, inject the four headers, stream the reply, release the slot.</summary>
    private async Task ProxyAsync(string id, string? path, HttpContext context)
    {
        if (!_runners.TryGetValue(id, out var runner) || _time.GetUtcNow() - runner.LastBeat > Ttl || runner.Status is not ("" or "ready"))
        {
            await Plain(context, 404, "runner not found");
            return;
        }

        if (runner.Mode != "single-shot")
        {
            await Plain(context, 400, "runner is not single-shot");
            return;
        }

        var sessionId = "session_" + Base32(5);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        lock (runner)
        {
            if (runner.Sessions.Count >= runner.Capacity)
                sessionId = "";
            else
                runner.Sessions[sessionId] = session;
        }

        if (sessionId.Length == 0)
        {
            await Plain(context, 503, NoCapacity);
            return;
        }

        try
        {
            var target = new UriBuilder(runner.RunnerUrl);
            target.Path = "/" + string.Join('/', new[] { target.Path.Trim('/'), path ?? "" }.Where(p => p.Length > 0));
            target.Query = context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "";
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target.Uri);
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
                request.Content = new StreamContent(context.Request.Body);
            foreach (var (name, values) in context.Request.Headers)
            {
                if (HopByHop.Contains(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
                    continue;
                if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!))
                    request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }

            // Header.Set in go-livepeer: whatever the client sent is overwritten.
            foreach (var name in new[] { "Livepeer-Runner-Route", "Livepeer-Session-Id", "Livepeer-Session-Token", "Livepeer-Session-Control" })
                request.Headers.Remove(name);
            request.Headers.Add("Livepeer-Runner-Route", id);
            request.Headers.Add("Livepeer-Session-Id", sessionId);
            var token = SessionToken(runner, sessionId);
            SessionTokens.Enqueue(token);
            request.Headers.Add("Livepeer-Session-Token", token);
            request.Headers.Add("Livepeer-Session-Control", $"{Url.ToString().TrimEnd('/')}/runner/{id}/session/{sessionId}");

            using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, session.Token);
            Forwarded.Enqueue((id, target.Path, (int)response.StatusCode));
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                    context.Response.Headers[name] = values.ToArray();
            }

            await response.Content.CopyToAsync(context.Response.Body, session.Token);
        }
        catch (HttpRequestException)
        {
            if (!context.Response.HasStarted)
                await Plain(context, 502, "bad gateway");
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            // The client left, or the payment failed: Go's ReverseProxy aborts the client connection mid-reply.
            context.Abort();
        }
        finally
        {
            lock (runner)
                runner.Sessions.Remove(sessionId);
            _proxyEnded.Writer.TryWrite(sessionId);
        }
    }

    /// <summary>The per-session token (HMAC of the runner's seed), what the runner must never log.</summary>
    public static string SessionToken(string heartbeatSecret, string sessionId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(heartbeatSecret), Encoding.UTF8.GetBytes("session:" + sessionId)));

    private static string SessionToken(Runner runner, string sessionId) => SessionToken(runner.HeartbeatSecret, sessionId);

    private static string O2rChannel(string heartbeatSecret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(heartbeatSecret), "trickle:o2r"u8))[..16];

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "TE", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Trailer",
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
    };

    private static string? Validate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            return "invalid body";
        if (!Uri.TryCreate(Text(body, "runner_url"), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
            return "invalid runner_url";
        var app = Text(body, "app");
        if (string.IsNullOrEmpty(app) || app.Trim() != app)
            return "app must be trimmed";
        if (Text(body, "mode") is { } mode && mode is not ("" or "persistent" or "single-shot" or "single_shot"))
            return "mode must be \"persistent\" or \"single-shot\"";
        if (body.TryGetProperty("capacity", out var capacity) && (capacity.ValueKind != JsonValueKind.Number || capacity.GetInt32() < 0))
            return "capacity must be >= 0";
        if (Text(body, "status") is { } status && (status.Trim() != status || status.Any(char.IsUpper)))
            return "status must be lowercase and trimmed";
        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Equal(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string Base32(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    private static Task Plain(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    /// <param name="Port">The local port it came in on (<see cref="Url"/>'s or <see cref="RunnerFacingUrl"/>'s).</param>
    public sealed record Beat(DateTimeOffset At, string RunnerId, string Authorization, bool Bootstrap, int Status, JsonElement Body, int Port)
    {
        public string? Field(string name) => Text(Body, name);

        /// <summary>The <c>session_ids</c> the runner sent.</summary>
        public IReadOnlyList<string> SessionIds => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("session_ids", out var ids) && ids.ValueKind == JsonValueKind.Array
            ? [.. ids.EnumerateArray().Select(i => i.GetString()!)]
            : [];
    }

    private sealed class Runner(string id, string heartbeatSecret)
    {
        public string Id { get; } = id;
        public string HeartbeatSecret { get; } = heartbeatSecret;
        /// <summary>Active sessions, each with the token that cancels its proxied request.</summary>
        public OrderedDictionary<string, CancellationTokenSource> Sessions { get; } = [];
        public DateTimeOffset LastBeat { get; private set; }
        public Uri RunnerUrl { get; private set; } = null!;
        public string Mode { get; private set; } = "persistent";
        public int Capacity { get; private set; } = 1;
        public string Status { get; private set; } = "";

        public void Expire() => LastBeat = DateTimeOffset.MinValue;

        /// <summary>Every successful beat replaces all fields: an omitted one falls back to its default.</summary>
        public void Update(JsonElement body, DateTimeOffset now)
        {
            LastBeat = now;
            RunnerUrl = new Uri(Text(body, "runner_url")!);
            Mode = Text(body, "mode") is "single-shot" or "single_shot" ? "single-shot" : "persistent";
            Capacity = body.TryGetProperty("capacity", out var c) && c.GetInt32() > 0 ? c.GetInt32() : 1;
            Status = Text(body, "status") ?? "";
        }
    }
}
