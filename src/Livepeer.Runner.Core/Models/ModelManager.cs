using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Core.Models;

/// <summary>
/// Owns every loaded model. Loads are single-flight (N requests for a cold model cause one load, and one waiter
/// giving up does not cancel it), models are reference counted through <see cref="ModelLease"/>s, warm models load
/// at startup, and a failed load is remembered for a back-off period so a broken model cannot be hammered.
/// Residency under a memory budget (eviction, keep-alive) builds on this (issue #3).
/// </summary>
public sealed partial class ModelManager : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromMinutes(5);

    private readonly IModelLoader _loader;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelManager> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Pipeline, string ModelId), Slot> _slots = [];
    private bool _disposed;

    public ModelManager(IModelLoader loader, TimeProvider time, ILogger<ModelManager> logger)
    {
        _loader = loader;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after a model finished loading, with the time it took.</summary>
    public event Action<ModelEntry, TimeSpan>? Loaded;

    /// <summary>Acquires a lease on the model, loading it first if needed.</summary>
    public async Task<ModelLease> AcquireAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        Slot slot;
        Task<IDisposable> load;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (entry.Pipeline, entry.ModelId);
            if (!_slots.TryGetValue(key, out slot!))
                _slots[key] = slot = new Slot(entry);

            if (slot.Load is null || (slot.Load.IsFaulted && _time.GetUtcNow() >= slot.RetryAt))
                slot.Load = StartLoad(slot);
            else if (slot.Load.IsFaulted)
                throw Failure(slot, slot.Load.Exception!.InnerException!);

            slot.Leases++;
            load = slot.Load;
        }

        try
        {
            var model = await load.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ModelLease(this, slot, model);
        }
        catch (Exception e)
        {
            Release(slot);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                throw;
            throw Failure(slot, e);
        }
    }

    /// <summary>Loads every warm model; a warm model that cannot load stops startup, as in ai-runner.</summary>
    public async Task WarmUpAsync(IEnumerable<ModelEntry> warm, CancellationToken cancellationToken)
    {
        foreach (var entry in warm)
        {
            using var lease = await AcquireAsync(entry, cancellationToken).ConfigureAwait(false);
            lock (_gate)
                _slots[(entry.Pipeline, entry.ModelId)].Pinned = true;
        }
    }

    /// <summary>What is loaded now, for /hardware/stats.</summary>
    public IReadOnlyList<ResidentModel> Resident()
    {
        lock (_gate)
            return _slots.Values
                .Where(s => s.Load is { IsCompletedSuccessfully: true })
                .Select(s => new ResidentModel(s.Entry.Pipeline, s.Entry.ModelId, s.Pinned, s.Leases, s.LastUsed))
                .ToList();
    }

    internal void Release(Slot slot)
    {
        lock (_gate)
        {
            slot.Leases--;
            slot.LastUsed = _time.GetUtcNow();
        }
    }

    private Task<IDisposable> StartLoad(Slot slot)
    {
        // The load runs detached from every caller's token: one waiter leaving must not cancel it for the others.
        var started = _time.GetTimestamp();
        LogLoadStarted(slot.Entry.Pipeline, slot.Entry.ModelId);
        return Task.Run(async () =>
        {
            try
            {
                var model = await _loader.LoadAsync(slot.Entry, CancellationToken.None).ConfigureAwait(false);
                var elapsed = _time.GetElapsedTime(started);
                slot.Failures = 0;
                LogLoadFinished(slot.Entry.Pipeline, slot.Entry.ModelId, elapsed.TotalMilliseconds);
                Loaded?.Invoke(slot.Entry, elapsed);
                return model;
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    slot.Failures++;
                    var delay = TimeSpan.FromTicks(Math.Min(LongestRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(slot.Failures - 1, 16)));
                    slot.RetryAt = _time.GetUtcNow() + delay;
                }
                LogLoadFailed(e, slot.Entry.Pipeline, slot.Entry.ModelId);
                throw;
            }
        });
    }

    private static Exception Failure(Slot slot, Exception error) => error switch
    {
        ModelLoadException or EngineUnavailableException or DeviceOutOfMemoryException => error,
        _ => new ModelLoadException(slot.Entry.ModelId, $"Model {slot.Entry.ModelId} failed to load: {error.Message}", error),
    };

    public async ValueTask DisposeAsync()
    {
        List<Task<IDisposable>> loads;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            loads = _slots.Values.Select(s => s.Load).OfType<Task<IDisposable>>().ToList();
            _slots.Clear();
        }

        foreach (var load in loads)
        {
            try
            {
                (await load.ConfigureAwait(false)).Dispose();
            }
            catch (Exception)
            {
                // A load that failed holds nothing to release.
            }
        }
    }

    internal sealed class Slot(ModelEntry entry)
    {
        public ModelEntry Entry { get; } = entry;
        public Task<IDisposable>? Load { get; set; }
        public int Leases { get; set; }
        public bool Pinned { get; set; }
        public int Failures { get; set; }
        public DateTimeOffset RetryAt { get; set; }
        public DateTimeOffset LastUsed { get; set; }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "model load start pipeline={Pipeline} model_id={ModelId}")]
    private partial void LogLoadStarted(string pipeline, string modelId);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "model load end pipeline={Pipeline} model_id={ModelId} elapsed_ms={ElapsedMs:F0}")]
    private partial void LogLoadFinished(string pipeline, string modelId, double elapsedMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "model load failed pipeline={Pipeline} model_id={ModelId}")]
    private partial void LogLoadFailed(Exception error, string pipeline, string modelId);
}

/// <summary>One loaded model as /hardware/stats shows it.</summary>
public sealed record ResidentModel(string Pipeline, string ModelId, bool Pinned, int Leases, DateTimeOffset LastUsed);
