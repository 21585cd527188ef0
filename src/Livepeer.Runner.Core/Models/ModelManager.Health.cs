using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Core.Models;

/// <summary>Whether a model can serve, for health checks: a look at its slot, never a wait on it.</summary>
public sealed partial class ModelManager
{
    /// <summary>
    /// True when the model is resident, loading, or can be loaded by the next request; false while its last load
    /// failed and is in back-off, and once the manager is shutting down.
    /// </summary>
    public bool CanServe(ModelEntry entry)
    {
        lock (_gate)
        {
            if (_disposed)
                return false;
            return !_slots.TryGetValue((entry.Pipeline, entry.ModelId), out var slot)
                || slot.State != SlotState.Failed
                || _time.GetUtcNow() >= slot.RetryAt;
        }
    }
}
