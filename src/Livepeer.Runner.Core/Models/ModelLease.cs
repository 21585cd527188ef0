namespace Livepeer.Runner.Core.Models;

/// <summary>
/// A pipeline's hold on a loaded model and one of its turns: while any lease is open the model is neither evicted nor
/// unloaded, and at most the engine's concurrency of leases are open on one model.
/// A struct, so the warm path allocates nothing; dispose it exactly once (a <c>using</c> declaration does).
/// </summary>
public readonly struct ModelLease : IDisposable
{
    private readonly ModelManager _owner;
    private readonly ModelManager.Slot _slot;
    private readonly ModelManager.Demand _demand;
    private readonly long? _measuredFrom;

    internal ModelLease(ModelManager owner, ModelManager.Slot slot, ModelManager.Demand demand, long? measuredFrom)
    {
        _owner = owner;
        _slot = slot;
        _demand = demand;
        _measuredFrom = measuredFrom;
    }

    /// <summary>The activation bytes the request reserves in the device's ledger while it runs.</summary>
    public long ReservedBytes => _demand.Bytes;

    public string ModelId => _slot.Entry.ModelId;

    public object Model => _slot.Model ?? throw new ObjectDisposedException(ModelId, "The lease's model is not loaded.");

    /// <summary>The engine as the pipeline expects it; a mismatch is a wiring bug, not a request error.</summary>
    public T Get<T>() where T : class =>
        Model as T ?? throw new InvalidOperationException($"Model {ModelId} is a {Model.GetType().Name}, not a {typeof(T).Name}.");

    /// <summary>
    /// Adds memory the model takes while serving (a LoRA adapter set) to its ledger entry, evicting idle models for
    /// room; false when the device has no room for it now. Given back with <see cref="Refund"/> or when the model unloads.
    /// </summary>
    public bool TryCharge(long bytes) => _owner.TryGrow(_slot, bytes);

    /// <summary>Takes back <paramref name="bytes"/> of what <see cref="TryCharge"/> added.</summary>
    public void Refund(long bytes) => _owner.Shrink(_slot, bytes);

    public void Dispose() => _owner?.Return(_slot, _demand, _measuredFrom);
}
