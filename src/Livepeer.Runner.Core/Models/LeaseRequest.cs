using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Core.Models;

/// <summary>What a front end does when every turn of a model is taken.</summary>
public enum WhenBusy
{
    /// <summary>Wait in line for a turn (the batch routes; go-livepeer holds the request meanwhile).</summary>
    Wait,

    /// <summary>Fail at once with <see cref="Errors.ModelBusyException"/>, so the caller can go elsewhere.</summary>
    Fail,
}

/// <summary>
/// The model a request runs on, what to do when it is busy, and the memory its intermediate tensors need
/// (<paramref name="ActivationBytes"/>, the engine's estimate for this request; null: the engine's default for the model).
/// What a pipeline hands the model manager.
/// </summary>
public readonly record struct LeaseRequest(ModelEntry Entry, WhenBusy WhenBusy = WhenBusy.Wait, long? ActivationBytes = null)
{
    public string ModelId => Entry.ModelId;

    public static implicit operator LeaseRequest(ModelEntry entry) => new(entry);
}
