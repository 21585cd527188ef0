using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Hosting;

/// <summary>
/// Loads the warm models once the server is listening, so /health answers (503 "loading") meanwhile instead of
/// the port staying closed. A warm model that cannot load stops the process: go-livepeer would otherwise register
/// a runner that cannot serve its model.
/// </summary>
internal sealed partial class WarmupService(
    ModelCatalog catalog,
    EngineRegistry engines,
    ModelManager models,
    Readiness readiness,
    IHostApplicationLifetime lifetime,
    ILogger<WarmupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var warm = catalog.Entries.Where(e => e.Warm).ToList();
        var configured = catalog.Entries.Select(e => e.Pipeline).Distinct().Select(engines.For).OfType<IEngine>().Distinct();
        foreach (var engine in configured)
            foreach (var prerequisite in engine.Prerequisites)
                if (!await prerequisite.IsAvailableAsync(stoppingToken))
                    LogMissingPrerequisite(string.Join(", ", engine.Pipelines), prerequisite.Name, prerequisite.Advice);
        foreach (var entry in warm.Where(e => !engines.IsBuilt(e.Pipeline)))
            LogNoEngine(entry.Pipeline, entry.ModelId);

        try
        {
            await models.WarmUpAsync(warm.Where(e => engines.IsBuilt(e.Pipeline)), stoppingToken);
            readiness.MarkReady();
            LogReady(warm.Count, catalog.Entries.Count);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            readiness.MarkFailed(new OperationCanceledException("Shut down while warming up."));
        }
        catch (Exception error)
        {
            LogWarmupFailed(error);
            readiness.MarkFailed(error);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ready: {Warm} warm of {Total} configured models loaded")]
    private partial void LogReady(int warm, int total);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "a warm model failed to load; stopping")]
    private partial void LogWarmupFailed(Exception error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Pipelines} is configured but {Prerequisite} is missing: its requests will answer 500 until it is installed ({Advice})")]
    private partial void LogMissingPrerequisite(string pipelines, string prerequisite, string advice);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "warm model pipeline={Pipeline} model_id={ModelId} has no engine in this build; its requests will answer 500")]
    private partial void LogNoEngine(string pipeline, string modelId);
}
