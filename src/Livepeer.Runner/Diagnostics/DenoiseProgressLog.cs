using Livepeer.Runner.Pipelines.Video;

namespace Livepeer.Runner.Diagnostics;

/// <summary>
/// The host's side of <see cref="IDenoiseProgress"/>: every step's time goes to the per-model step histogram, and
/// every <see cref="LogEverySteps"/>th step (and the last) writes one Information line, so a minutes-long video
/// generation shows where it is. Only configured model ids and counts are logged.
/// </summary>
internal sealed partial class DenoiseProgressLog(ILogger<DenoiseProgressLog> logger, RunnerMetrics metrics) : IDenoiseProgress
{
    public const int LogEverySteps = 5;

    public void StepDone(string pipeline, string modelId, int step, int steps, TimeSpan elapsed)
    {
        metrics.DenoiseStep(pipeline, modelId, elapsed);
        if (step % LogEverySteps == 0 || step == steps)
            LogStep(pipeline, modelId, step, steps, Math.Round(elapsed.TotalMilliseconds, 1));
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "denoise pipeline={Pipeline} model_id={ModelId} step={Step}/{Steps} step_ms={StepMs}")]
    private partial void LogStep(string pipeline, string modelId, int step, int steps, double stepMs);
}
