namespace Livepeer.Runner.Hosting;

/// <summary>Whether the warm models are loaded: what /health reports. Owned by <see cref="WarmupService"/>.</summary>
internal sealed class Readiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ReadinessState State { get; private set; } = ReadinessState.Loading;

    /// <summary>Completes when the warm models are loaded (tests and tools wait on it instead of polling).</summary>
    public Task WhenReady => _ready.Task;

    public void MarkReady()
    {
        State = ReadinessState.Ready;
        _ready.TrySetResult();
    }

    public void MarkFailed(Exception error)
    {
        State = ReadinessState.Failed;
        _ready.TrySetException(error);
    }
}

internal enum ReadinessState
{
    Loading,
    Ready,
    Failed,
}
