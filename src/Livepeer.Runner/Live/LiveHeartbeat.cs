using System.Net;
using System.Net.Http.Json;
using System.Security.Authentication;

namespace Livepeer.Runner.Live;

/// <summary>
/// One registration's heartbeat loop with the orchestrator (LIVE-RUNNER §3): bootstrap with the orchestrator secret
/// and a stable proposed runner id, then beat at the returned interval with the returned heartbeat secret (kept in
/// memory only), sending the full body every time. A 401 or 404 re-bootstraps at once (the orchestrator forgot us or
/// our TTL ran out); a 400, or a 401 to the bootstrap (wrong secret), is a configuration error, retried slowly;
/// transport errors, and a 404 to the bootstrap (an expired registration not swept yet), back off within the interval.
/// <para>
/// Each beat carries the sessions the runner is serving (<see cref="LiveSessions"/>); the reply's <c>session_ids</c>,
/// the orchestrator's authoritative list, is kept as <see cref="OrchestratorSessions"/>. Later beats go to the
/// runner-facing URL the reply names (<c>orchestrator</c>, its <c>-liveRunnerAddr</c>); if that URL cannot be reached
/// the loop goes back to the configured one and does not follow it again. The O2R channel the first reply offers is
/// not subscribed: a single-shot runner knows its sessions from its own requests.
/// </para>
/// </summary>
internal sealed partial class LiveHeartbeat(
    LiveRegistration registration,
    LiveAdvert advert,
    LiveRunnerSettings settings,
    HttpClient http,
    Func<LiveRegistration, bool> ready,
    LiveSessions sessions,
    TimeProvider time,
    ILogger logger)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(20);

    /// <summary>How long before a refused registration (a 400, or a 401 to the orchestrator secret) is tried again.</summary>
    public static readonly TimeSpan ConfigurationRetry = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly string _proposedId = registration.RunnerId(advert.PublicUrl);
    private string? _heartbeatSecret;
    private string? _runnerId;
    private TimeSpan _interval = DefaultInterval;
    private TimeSpan _ttl = DefaultTtl;
    private Uri _orchestrator = settings.Orchestrator;
    private Uri? _unreachable;
    private IReadOnlyList<string> _orchestratorSessions = [];

    public LiveRegistration Registration => registration;

    /// <summary>Where beats go now: the configured URL, or the one the orchestrator returned.</summary>
    public Uri Orchestrator => _orchestrator;

    /// <summary>The orchestrator's active sessions for this registration, from its last reply (authoritative; oldest first).</summary>
    public IReadOnlyList<string> OrchestratorSessions => Volatile.Read(ref _orchestratorSessions);

    /// <summary>The id the orchestrator accepted; null until the first successful beat.</summary>
    public string? RunnerId => _runnerId;

    /// <summary>Raised once the wait for the next beat has started (its timer exists), with its length: tests advance a fake clock on it.</summary>
    public event Action<TimeSpan>? Sleeping;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan delay;
            // A beat in flight is not cut short by shutdown: a registration the orchestrator has made must be known
            // here, so that it is unregistered (each beat is bounded by its own timeout).
            switch (await BeatAsync(CancellationToken.None))
            {
                case Outcome.Accepted:
                    failures = 0;
                    // Never wait as long as the TTL, whatever the orchestrator says, or a slow beat lets us expire.
                    delay = _interval < _ttl / 2 ? _interval : _ttl / 2;
                    break;
                case Outcome.Forgotten:
                    continue;
                case Outcome.Refused:
                    delay = ConfigurationRetry;
                    break;
                case Outcome.Cancelled:
                    return;
                default:
                    failures++;
                    delay = TimeSpan.FromSeconds(Math.Min(_interval.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 10))));
                    break;
            }

            try
            {
                var wait = Task.Delay(delay, time, cancellationToken);
                Sleeping?.Invoke(delay);
                await wait;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<Outcome> BeatAsync(CancellationToken cancellationToken)
    {
        var bootstrap = _heartbeatSecret is null;
        var body = advert.Heartbeat(registration, _runnerId ?? _proposedId, ready(registration), sessions.Of(registration.Label));
        using var deadline = new CancellationTokenSource(RequestTimeout, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Url("/runners/heartbeat"))
            {
                Content = JsonContent.Create(body, LiveJson.Default.HeartbeatRequest),
            };
            request.Headers.TryAddWithoutValidation("Authorization", _heartbeatSecret ?? settings.Secret);
            using var response = await http.SendAsync(request, timeout.Token);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    var reply = await response.Content.ReadFromJsonAsync(LiveJson.Default.HeartbeatResponse, timeout.Token);
                    Accept(reply, bootstrap, body);
                    return Outcome.Accepted;
                case HttpStatusCode.Unauthorized or HttpStatusCode.NotFound when !bootstrap:
                    LogForgotten(logger, _runnerId ?? _proposedId, (int)response.StatusCode);
                    _heartbeatSecret = null;
                    return Outcome.Forgotten;
                case HttpStatusCode.NotFound:
                    // Our expired registration is not swept yet (it is, within an interval), or dynamic registration is off.
                    LogBootstrapNotFound(logger, registration.App);
                    return Outcome.Transient;
                case HttpStatusCode.Unauthorized:
                    LogBootstrapRefused(logger, registration.App, (int)response.StatusCode, ConfigurationRetry.TotalSeconds);
                    return Outcome.Refused;
                case HttpStatusCode.BadRequest:
                    LogConfigurationError(logger, registration.App, await Reason(response, timeout.Token), ConfigurationRetry.TotalSeconds);
                    return Outcome.Refused;
                default:
                    LogTransient(logger, registration.App, "status " + (int)response.StatusCode);
                    return Outcome.Transient;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Outcome.Cancelled;
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
        {
            LogUntrustedCertificate(logger, registration.App, _orchestrator.GetLeftPart(UriPartial.Authority), LiveRunnerSettings.TlsInsecureVariable);
            return Unreachable();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or NotSupportedException)
        {
            LogTransient(logger, registration.App, e.GetType().Name);
            return e is System.Text.Json.JsonException or NotSupportedException ? Outcome.Transient : Unreachable();
        }
    }

    /// <summary>A beat that did not reach the orchestrator: a returned URL that fails is dropped for the configured one.</summary>
    private Outcome Unreachable()
    {
        if (_orchestrator != settings.Orchestrator)
        {
            LogFollowFailed(logger, registration.App, _orchestrator.GetLeftPart(UriPartial.Authority), settings.Orchestrator.GetLeftPart(UriPartial.Authority));
            _unreachable = _orchestrator;
            _orchestrator = settings.Orchestrator;
        }

        return Outcome.Transient;
    }

    private void Accept(HeartbeatResponse? reply, bool bootstrap, HeartbeatRequest sent)
    {
        if (reply?.HeartbeatSecret is { Length: > 0 } secret)
            _heartbeatSecret = secret;
        else if (bootstrap)
            throw new HttpRequestException("the registration reply has no heartbeat_secret");
        _runnerId = reply?.RunnerId is { Length: > 0 } id ? id : _runnerId ?? _proposedId;
        if (GoDuration.TryParse(reply?.HeartbeatInterval, out var interval) && interval > TimeSpan.Zero)
            _interval = interval;
        if (GoDuration.TryParse(reply?.HeartbeatTtl, out var ttl) && ttl > TimeSpan.Zero)
            _ttl = ttl;
        if (bootstrap)
            LogRegistered(logger, _runnerId, registration.App, sent.Status, _interval.TotalSeconds, _ttl.TotalSeconds);
        if (bootstrap && reply?.O2r is { } o2r)
            LogO2rNotSubscribed(logger, _runnerId, o2r.Name == "o2r" ? "o2r" : "unnamed");

        var authoritative = reply?.SessionIds ?? [];
        Volatile.Write(ref _orchestratorSessions, authoritative);
        if (!authoritative.SequenceEqual(sent.SessionIds, StringComparer.Ordinal))
            LogSessionsDiffer(logger, _runnerId, authoritative.Count, sent.SessionIds.Count);
        Follow(reply?.Orchestrator);
    }

    /// <summary>Later beats go to the runner-facing URL the orchestrator returns, unless it already failed.</summary>
    private void Follow(string? returned)
    {
        if (!Uri.TryCreate(returned?.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
            return;
        if (SameBase(url, _orchestrator) || (_unreachable is { } failed && SameBase(url, failed)))
            return;
        LogFollowing(logger, registration.App, url.GetLeftPart(UriPartial.Authority), _orchestrator.GetLeftPart(UriPartial.Authority));
        _orchestrator = url;
    }

    private static bool SameBase(Uri a, Uri b) =>
        string.Equals(a.GetLeftPart(UriPartial.Path).TrimEnd('/'), b.GetLeftPart(UriPartial.Path).TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Unregisters (204), when registered; the loop must have stopped.</summary>
    public async Task UnregisterAsync(CancellationToken cancellationToken)
    {
        if (_heartbeatSecret is not { } secret || _runnerId is not { } id)
            return;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Url($"/runners/{Uri.EscapeDataString(id)}/unregister"));
            request.Headers.TryAddWithoutValidation("Authorization", secret);
            using var response = await http.SendAsync(request, cancellationToken);
            _heartbeatSecret = null;
            if (response.StatusCode == HttpStatusCode.NoContent)
                LogUnregistered(logger, id, registration.App);
            else
                LogUnregisterFailed(logger, id, "status " + (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            LogUnregisterFailed(logger, id, e.GetType().Name);
        }
    }

    private Uri Url(string path) => new(_orchestrator.GetLeftPart(UriPartial.Path).TrimEnd('/') + path);

    private static async Task<string> Reason(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        return text.Length > 200 ? text[..200] : text;
    }

    private enum Outcome
    {
        Accepted,
        Forgotten,
        Refused,
        Transient,
        Cancelled,
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "live runner registered runner_id={RunnerId} app={App} status={Status} interval_s={Interval} ttl_s={Ttl}")]
    private static partial void LogRegistered(ILogger logger, string? runnerId, string app, string status, double interval, double ttl);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "live runner runner_id={RunnerId} unknown to the orchestrator (status {Status}): registering again")]
    private static partial void LogForgotten(ILogger logger, string runnerId, int status);

    [LoggerMessage(EventId = 702, Level = LogLevel.Error, Message = "live runner registration of app={App} refused with status {Status}: check LIVE_RUNNER_SECRET and the orchestrator's -orchSecret; retrying in {Seconds} s")]
    private static partial void LogBootstrapRefused(ILogger logger, string app, int status, double seconds);

    [LoggerMessage(EventId = 707, Level = LogLevel.Warning, Message = "live runner registration of app={App} answered 404: the orchestrator has not swept our expired registration yet, or runs without -orchSecret; retrying")]
    private static partial void LogBootstrapNotFound(ILogger logger, string app);

    [LoggerMessage(EventId = 703, Level = LogLevel.Error, Message = "live runner configuration error for app={App}: the orchestrator answered 400 \"{Reason}\"; retrying in {Seconds} s")]
    private static partial void LogConfigurationError(ILogger logger, string app, string reason, double seconds);

    [LoggerMessage(EventId = 704, Level = LogLevel.Warning, Message = "live runner heartbeat for app={App} failed ({Reason}); retrying")]
    private static partial void LogTransient(ILogger logger, string app, string reason);

    [LoggerMessage(EventId = 708, Level = LogLevel.Error, Message = "live runner heartbeat for app={App}: the certificate of {Orchestrator} is not trusted; set {Variable}=1 for an orchestrator with a self-signed certificate; retrying")]
    private static partial void LogUntrustedCertificate(ILogger logger, string app, string orchestrator, string variable);

    [LoggerMessage(EventId = 709, Level = LogLevel.Information, Message = "live runner app={App}: later beats go to {Orchestrator}, the runner-facing URL returned by {Configured}")]
    private static partial void LogFollowing(ILogger logger, string app, string orchestrator, string configured);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "live runner app={App}: the returned orchestrator URL {Orchestrator} cannot be reached; back to {Configured} (check the orchestrator's -liveRunnerAddr)")]
    private static partial void LogFollowFailed(ILogger logger, string app, string orchestrator, string configured);

    [LoggerMessage(EventId = 712, Level = LogLevel.Information, Message = "live runner runner_id={RunnerId}: the offered {Channel} channel is not subscribed; a single-shot runner tracks its sessions from its own requests")]
    private static partial void LogO2rNotSubscribed(ILogger logger, string? runnerId, string channel);

    [LoggerMessage(EventId = 713, Level = LogLevel.Debug, Message = "live runner runner_id={RunnerId}: the orchestrator holds {Orchestrator} sessions, the runner serves {Runner} (requests in transit, or released by the orchestrator)")]
    private static partial void LogSessionsDiffer(ILogger logger, string? runnerId, int orchestrator, int runner);

    [LoggerMessage(EventId = 705, Level = LogLevel.Information, Message = "live runner unregistered runner_id={RunnerId} app={App}")]
    private static partial void LogUnregistered(ILogger logger, string runnerId, string app);

    [LoggerMessage(EventId = 706, Level = LogLevel.Warning, Message = "live runner unregister of runner_id={RunnerId} failed ({Reason})")]
    private static partial void LogUnregisterFailed(ILogger logger, string runnerId, string reason);
}
