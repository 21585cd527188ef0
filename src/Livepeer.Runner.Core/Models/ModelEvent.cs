using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Core.Models;

public enum ModelEventKind
{
    LoadStarted,

    /// <summary>A load found no room and is waiting for leases to close (or the driver to give memory back).</summary>
    WaitingForMemory,
    Loaded,
    LoadFailed,
    Unloaded,
}

/// <summary>Why a model left memory.</summary>
public enum UnloadReason
{
    /// <summary>Unloaded to make room for another model.</summary>
    Evicted,

    /// <summary>Idle for longer than its keep-alive.</summary>
    KeepAliveExpired,

    /// <summary>The process is shutting down.</summary>
    Shutdown,
}

/// <summary>One transition of a model's residency, for metrics; each is also one structured log line.</summary>
public sealed record ModelEvent(ModelEventKind Kind, ModelEntry Entry, string Device, long FootprintBytes, TimeSpan Elapsed = default, UnloadReason? Reason = null);

/// <summary>A resident or loading model, as /hardware/stats shows it; <paramref name="Running"/>: requests admitted on it now.</summary>
public sealed record ResidentModel(string Pipeline, string ModelId, string State, long FootprintBytes, bool Pinned, int Leases, DateTimeOffset LastUsed, int Running = 0);

/// <summary>The device's requests at one moment: running (of the limit), waiting (of the queue bound), and the activation bytes they reserve.</summary>
public sealed record RequestLoad(int Running, int MaxConcurrency, int Queued, int MaxQueue, long ReservedBytes);

/// <summary>
/// The device's ledger at one moment. <paramref name="UsedBytes"/> is the weights of resident and loading models;
/// running requests reserve <see cref="RequestLoad.ReservedBytes"/> on top.
/// </summary>
public sealed record ResidencySnapshot(string Device, string Kind, long TotalBytes, long BudgetBytes, long UsedBytes, IReadOnlyList<ResidentModel> Models, RequestLoad Requests)
{
    public long FreeBytes => Math.Max(0, BudgetBytes - UsedBytes - Requests.ReservedBytes);
}

public enum RequestEventKind
{
    /// <summary>The request could not run at once and waits in the device's queue.</summary>
    Queued,

    /// <summary>The request got its turn (<see cref="RequestEvent.Waited"/> in the queue, zero when it ran at once).</summary>
    Admitted,

    /// <summary>The request was answered busy (<see cref="RequestEvent.Reason"/>).</summary>
    Rejected,

    /// <summary>The client left (or the request was cancelled) while it waited in the queue.</summary>
    Abandoned,

    /// <summary>The request ended and gave its turn and activation reservation back.</summary>
    Finished,
}

/// <summary>One step of a request through admission, for metrics.</summary>
public sealed record RequestEvent(RequestEventKind Kind, ModelEntry Entry, string Device, TimeSpan Waited = default, Errors.BusyReason? Reason = null);
