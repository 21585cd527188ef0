namespace Livepeer.Runner.Diagnostics;

/// <summary>
/// The one Information line per pipeline request, written when its reply has been written (with the metrics
/// sample): route, model, status, duration and request id. The request id is the trace identifier, which the Live
/// front end sets from <c>Livepeer-Session-Id</c>. Prompts, images and audio are never part of it.
/// </summary>
internal sealed partial class RequestLog(ILogger logger)
{
    /// <summary>The log category of the request lines.</summary>
    public const string Category = "Livepeer.Runner.Requests";

    public void Answered(HttpContext context, string modelId, int status, TimeSpan duration) =>
        LogAnswered(logger, context.Request.Path.Value ?? "", modelId, status, Math.Round(duration.TotalMilliseconds, 1), context.TraceIdentifier);

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "request route={Route} model_id={ModelId} status={Status} duration_ms={DurationMs} request_id={RequestId}")]
    private static partial void LogAnswered(ILogger logger, string route, string modelId, int status, double durationMs, string requestId);
}
