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

/// <summary>A resident or loading model, as /hardware/stats shows it.</summary>
public sealed record ResidentModel(string Pipeline, string ModelId, string State, long FootprintBytes, bool Pinned, int Leases, DateTimeOffset LastUsed);

/// <summary>The device's ledger at one moment.</summary>
public sealed record ResidencySnapshot(string Device, string Kind, long TotalBytes, long BudgetBytes, long UsedBytes, IReadOnlyList<ResidentModel> Models)
{
    public long FreeBytes => Math.Max(0, BudgetBytes - UsedBytes);
}
