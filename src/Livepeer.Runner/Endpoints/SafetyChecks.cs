using System.Collections.Concurrent;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// Models without a safety checker report <c>nsfw: false</c>; that is logged once per model so an operator
/// knows the flag means "not checked", without a line per request.
/// </summary>
internal sealed partial class SafetyCheckNotices(ILogger<SafetyCheckNotices> logger)
{
    private readonly ConcurrentDictionary<(string, string), bool> _noted = new();

    public void NoteUnavailable(string pipeline, string modelId, bool requested)
    {
        if (requested && _noted.TryAdd((pipeline, modelId), true))
            LogNoChecker(pipeline, modelId);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "safety_check requested but pipeline={Pipeline} model_id={ModelId} has no safety checker; reporting nsfw=false")]
    private partial void LogNoChecker(string pipeline, string modelId);
}
