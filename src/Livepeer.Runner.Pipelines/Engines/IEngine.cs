using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;

namespace Livepeer.Runner.Pipelines.Engines;

/// <summary>
/// One engine family: the pipelines it serves, what it needs on the machine, what a model of it occupies, how to load
/// one, and how many requests one loaded model runs at once. Registered once in <see cref="EngineRegistry.Default"/>;
/// everything else (the loader, "engine not built", warm-up checks, /hardware/info) asks the registry.
/// </summary>
public interface IEngine
{
    /// <summary>A short name for logs and /hardware/info, e.g. <c>diffusion</c>.</summary>
    string Name { get; }

    IReadOnlyList<string> Pipelines { get; }

    /// <summary>What the machine must have besides the model files (ffmpeg, espeak-ng); checked at startup.</summary>
    IReadOnlyList<Prerequisite> Prerequisites { get; }

    /// <summary>Requests one loaded model runs at once; the model manager's leases hold the turns.</summary>
    int Concurrency { get; }

    /// <summary>
    /// Whether the entry's model is files the locator must find. False for a model the engine brings itself (an
    /// espeak-ng voice): then nothing is located, its footprint has no weights, and <see cref="EngineLoad.Location"/> is empty.
    /// </summary>
    bool NeedsFiles(ModelEntry entry) => true;

    /// <summary>Memory one request's intermediate tensors may take on top of the weights, for a model at <paramref name="location"/>.</summary>
    long ActivationBytes(ModelEntry entry, string location);

    /// <summary>
    /// What a model at <paramref name="location"/> must hold for this engine's loader (files, graphs, their inputs and
    /// outputs), declared beside the loader from the names it reads; null when the location is not of this engine's
    /// families. <c>models check</c> and the load-failure report read it.
    /// </summary>
    ModelRequirements? Requirements(string location) => null;

    /// <summary>Loads every session of the model as one unit; the result owns its native resources.</summary>
    Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken);
}

/// <summary>
/// What a load gets: the entry, where its files are (empty when the engine needs none, see <see cref="IEngine.NeedsFiles"/>),
/// sessions bounded to its ledger entry, the settings and the clock.
/// </summary>
public sealed record EngineLoad(ModelEntry Entry, string Location, OnnxSessionFactory Sessions, RunnerSettings Settings, TimeProvider Clock)
{
    public string ModelId => Entry.ModelId;

    /// <summary>The model's folder, or a load error saying what <paramref name="family"/> expects in one.</summary>
    public string RequireFolder(string family, string contents) => Directory.Exists(Location)
        ? Location
        : throw new ModelLoadException(ModelId, $"{family} model {ModelId} must be a model folder ({contents}).");
}

/// <summary>Something an engine needs on the machine; <paramref name="Advice"/> tells the operator how to get it.</summary>
public sealed record Prerequisite(string Name, string Advice, Func<CancellationToken, Task<bool>> IsAvailableAsync);
