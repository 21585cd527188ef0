using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Pipelines;

/// <summary>
/// Loads a configured model with the registered engine of its pipeline, from the files the locator finds, or from none
/// when the engine brings the model itself (<see cref="IEngine.NeedsFiles"/>).
/// </summary>
public sealed partial class PipelineModelLoader(EngineRegistry engines, ModelLocator locator, OnnxSessionFactory sessions, RunnerSettings settings, TimeProvider clock, ILogger<PipelineModelLoader> logger) : IModelLoader
{
    /// <summary>The location of a model whose engine needs no files.</summary>
    private const string NoFiles = "";

    public ModelFootprint Estimate(ModelEntry entry)
    {
        var engine = engines.Require(entry);
        var location = Locate(engine, entry);
        // A model with no files (NoFiles) weighs nothing: WeightBytesAt finds no file there.
        return new ModelFootprint(ModelFootprint.WeightBytesAt(location), engine.ActivationBytes(entry, location));
    }

    /// <summary>The engine's concurrency, lowered to the entry's go-livepeer <c>capacity</c> when it gives one.</summary>
    public int Concurrency(ModelEntry entry) => Math.Min(engines.For(entry.Pipeline)?.Concurrency ?? 1, entry.Capacity ?? int.MaxValue);

    public async Task<IDisposable> LoadAsync(ModelEntry entry, long memoryLimitBytes, CancellationToken cancellationToken)
    {
        var engine = engines.Require(entry);
        var location = Locate(engine, entry);
        // The ledger entry covers every session of the model: each gets the share its graph files take of the weights.
        var bounded = sessions.WithMemoryLimit(memoryLimitBytes, SessionMemoryShares.Of(location));
        try
        {
            return await engine.LoadAsync(new EngineLoad(entry, location, bounded, settings, clock), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (location.Length > 0 && e is not (OperationCanceledException or DeviceOutOfMemoryException))
        {
            // The same report as `models check`, so the operator sees every missing file and mismatched graph at once.
            LogCheckReport(logger, entry.ModelId, ModelCheck.Run(location, engines, engine).ToString());
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {ModelId} failed to load; its folder checks as:\n{Report}")]
    private static partial void LogCheckReport(ILogger logger, string modelId, string report);

    private string Locate(IEngine engine, ModelEntry entry) => engine.NeedsFiles(entry) ? locator.Locate(entry) : NoFiles;
}
