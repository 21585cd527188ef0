using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Core.Models;

/// <summary>Builds a configured model's engine. The model manager decides when; the loader only knows how.</summary>
public interface IModelLoader
{
    /// <summary>Loads every session of the model as one unit; the result owns its native resources.</summary>
    Task<IDisposable> LoadAsync(ModelEntry entry, CancellationToken cancellationToken);
}
