using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines;

/// <summary>
/// Loads a configured model with the registered engine of its pipeline, from the files the locator finds, or from none
/// when the engine brings the model itself (<see cref="IEngine.NeedsFiles"/>).
/// </summary>
public sealed class PipelineModelLoader(EngineRegistry engines, ModelLocator locator, OnnxSessionFactory sessions, RunnerSettings settings, TimeProvider clock) : IModelLoader
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

    public Task<IDisposable> LoadAsync(ModelEntry entry, long memoryLimitBytes, CancellationToken cancellationToken)
    {
        var engine = engines.Require(entry);
        var location = Locate(engine, entry);
        // The ledger entry covers every session of the model: each gets the share its graph files take of the weights.
        var bounded = sessions.WithMemoryLimit(memoryLimitBytes, SessionMemoryShares.Of(location));
        return engine.LoadAsync(new EngineLoad(entry, location, bounded, settings, clock), cancellationToken);
    }

    private string Locate(IEngine engine, ModelEntry entry) => engine.NeedsFiles(entry) ? locator.Locate(entry) : NoFiles;
}
