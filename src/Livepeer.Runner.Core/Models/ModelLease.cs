namespace Livepeer.Runner.Core.Models;

/// <summary>A pipeline's hold on a loaded model. While any lease is open the model stays loaded; dispose it when done.</summary>
public sealed class ModelLease : IDisposable
{
    private readonly ModelManager _owner;
    private readonly ModelManager.Slot _slot;
    private int _disposed;

    internal ModelLease(ModelManager owner, ModelManager.Slot slot, object model)
    {
        _owner = owner;
        _slot = slot;
        Model = model;
    }

    public object Model { get; }

    public string ModelId => _slot.Entry.ModelId;

    /// <summary>The engine as the pipeline expects it; a mismatch is a wiring bug, not a request error.</summary>
    public T Get<T>() where T : class =>
        Model as T ?? throw new InvalidOperationException($"Model {ModelId} is a {Model.GetType().Name}, not a {typeof(T).Name}.");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _owner.Release(_slot);
    }
}
