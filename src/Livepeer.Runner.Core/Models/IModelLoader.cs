using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Core.Models;

/// <summary>Builds a configured model's engine. The model manager decides when and where; the loader only knows how.</summary>
public interface IModelLoader
{
    /// <summary>What the model should occupy, from its files and pipeline, before anything is loaded.</summary>
    ModelFootprint Estimate(ModelEntry entry);

    /// <summary>How many requests one loaded model runs at once; the model manager holds the turns.</summary>
    int Concurrency(ModelEntry entry);

    /// <summary>
    /// Loads every session of the model as one unit; the result owns its native resources.
    /// <paramref name="memoryLimitBytes"/> bounds the sessions' device arenas to the model's ledger entry.
    /// </summary>
    Task<IDisposable> LoadAsync(ModelEntry entry, long memoryLimitBytes, CancellationToken cancellationToken);
}
