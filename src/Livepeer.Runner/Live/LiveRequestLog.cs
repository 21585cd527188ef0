namespace Livepeer.Runner.Live;

/// <summary>
/// The headers go-livepeer injects on proxied requests (LIVE-RUNNER §4.1): <c>Livepeer-Session-Id</c> becomes the
/// request id (the trace identifier and a log scope), <c>Livepeer-Runner-Route</c> is logged beside it, and
/// <c>Livepeer-Session-Token</c> (a callback credential) and every other header are never logged. A request with a
/// session id under a registration's prefix is that registration's active session (<see cref="LiveSessions"/>) until
/// its reply ends.
/// </summary>
internal static partial class LiveRequestLog
{
    public const string SessionIdHeader = "Livepeer-Session-Id";
    public const string RouteHeader = "Livepeer-Runner-Route";

    private const int MaxIdLength = 64;

    public static void UseLiveRequestLog(this IApplicationBuilder app, ILogger logger)
    {
        var labels = app.ApplicationServices.GetRequiredService<IReadOnlyList<LiveRegistration>>().Select(r => r.Label).ToHashSet(StringComparer.Ordinal);
        var sessions = app.ApplicationServices.GetRequiredService<LiveSessions>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/live", StringComparison.Ordinal, out _), live => live.Use(async (context, next) =>
        {
            var sessionId = Sanitized(context.Request.Headers[SessionIdHeader].ToString());
            if (sessionId.Length > 0)
                context.TraceIdentifier = sessionId;
            using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = context.TraceIdentifier });
            LogRequest(logger, context.Request.Method, context.Request.Path.Value ?? "", context.TraceIdentifier, Sanitized(context.Request.Headers[RouteHeader].ToString()));
            using var active = sessionId.Length > 0 && LabelOf(context.Request.Path) is { } label && labels.Contains(label) ? sessions.Begin(label, sessionId) : null;
            await next(context);
        }));
    }

    /// <summary>The label of <c>/live/&lt;label&gt;/…</c>; null without one.</summary>
    private static string? LabelOf(PathString path)
    {
        if (path.Value is not { } value || !value.StartsWith("/live/", StringComparison.Ordinal))
            return null;
        var rest = value.AsSpan("/live/".Length);
        var end = rest.IndexOf('/');
        return end > 0 ? rest[..end].ToString() : null;
    }

    /// <summary>Only what an id may hold, so a forged header cannot write into the log line.</summary>
    private static string Sanitized(string value)
    {
        var length = 0;
        while (length < value.Length && length < MaxIdLength && (char.IsAsciiLetterOrDigit(value[length]) || value[length] is '_' or '-' or '.'))
            length++;
        return length == value.Length ? value : "";
    }

    // Debug: the request's one Information line (Diagnostics/RequestLog) carries the same request id when it ends.
    [LoggerMessage(EventId = 720, Level = LogLevel.Debug, Message = "live request {Method} {Path} request_id={RequestId} runner_route={Route}")]
    private static partial void LogRequest(ILogger logger, string method, string path, string requestId, string route);
}
