using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Core.Models;

/// <summary>
/// Owns every loaded model and the device memory they occupy.
/// <list type="bullet">
/// <item>A ledger of resident models: each is admitted with its estimated footprint, which the measured growth
/// of device memory across its load then replaces. Admission never lets the ledger pass the device budget.</item>
/// <item>Loads are single-flight (N requests for a cold model cause one load; one waiter giving up does not
/// cancel it), run one at a time per device so each measurement belongs to one model, and a failed load is
/// remembered with back-off. An out-of-memory load unloads every idle model and retries once.</item>
/// <item>Leases are reference counts. A model with an open lease is never unloaded; warm models are pinned;
/// others stay until their keep-alive runs out or a load needs their room (<see cref="EvictionPolicy"/>).
/// A load that cannot fit waits for leases to close, up to RUNNER_LOAD_WAIT_SECONDS.</item>
/// </list>
/// All state is guarded by one lock; model disposal and loading happen outside it.
/// </summary>
public sealed partial class ModelManager : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>How often a load re-reads the driver while the ledger fits but the GPU has not yet given memory back.</summary>
    private static readonly TimeSpan DriverPollInterval = TimeSpan.FromMilliseconds(250);

    private readonly IModelLoader _loader;
    private readonly IDeviceMemory _memory;
    private readonly TimeProvider _time;
    private readonly RunnerSettings _settings;
    private readonly ILogger<ModelManager> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Pipeline, string ModelId), Slot> _slots = [];
    private readonly SemaphoreSlim _loadTurn = new(1, 1);
    private TaskCompletionSource _changed = NewSignal();
    private int _watchers;
    private long _usedBytes;
    private bool _disposed;

    public ModelManager(IModelLoader loader, ComputeDevice device, IDeviceMemory memory, TimeProvider time, RunnerSettings settings, ILogger<ModelManager> logger)
    {
        _loader = loader;
        Device = device;
        _memory = memory;
        _time = time;
        _settings = settings;
        _logger = logger;
    }

    public ComputeDevice Device { get; }

    /// <summary>Every residency transition, raised outside the lock.</summary>
    public event Action<ModelEvent>? Changed;

    /// <summary>Acquires a lease on the model, loading it first if needed. A resident model costs one lock and no allocation.</summary>
    public ValueTask<ModelLease> AcquireAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        Slot slot;
        Task load;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (entry.Pipeline, entry.ModelId);
            if (!_slots.TryGetValue(key, out slot!))
                _slots[key] = slot = new Slot(entry);

            if (slot.State == SlotState.Resident)
            {
                slot.Leases++;
                return new ValueTask<ModelLease>(new ModelLease(this, slot));
            }

            if (slot.State == SlotState.Failed && _time.GetUtcNow() < slot.RetryAt)
                throw slot.Error!;
            if (slot.State is SlotState.Cold or SlotState.Failed)
                slot.Load = StartLoad(slot);

            // A waiter holds a lease already, so the model cannot be evicted between its load and its use.
            slot.Leases++;
            load = slot.Load!;
        }

        return AwaitLoadAsync(slot, load, cancellationToken);
    }

    private async ValueTask<ModelLease> AwaitLoadAsync(Slot slot, Task load, CancellationToken cancellationToken)
    {
        try
        {
            await load.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ModelLease(this, slot);
        }
        catch
        {
            Release(slot);
            throw;
        }
    }

    /// <summary>Loads the warm models and pins them; one that cannot load stops startup, as in ai-runner.</summary>
    public async Task WarmUpAsync(IEnumerable<ModelEntry> warm, CancellationToken cancellationToken)
    {
        foreach (var entry in warm)
        {
            using var lease = await AcquireAsync(entry, cancellationToken).ConfigureAwait(false);
            lock (_gate)
                _slots[(entry.Pipeline, entry.ModelId)].Pinned = true;
        }
    }

    public ResidencySnapshot Snapshot()
    {
        lock (_gate)
        {
            var models = _slots.Values
                .Where(s => s.State is SlotState.Loading or SlotState.Resident)
                .Select(s => new ResidentModel(s.Entry.Pipeline, s.Entry.ModelId, StateName(s), s.Footprint, s.Pinned, s.Leases, s.LastUsed))
                .ToList();
            return new ResidencySnapshot(Device.Name, Device.Kind.ToString().ToLowerInvariant(), Device.TotalBytes, Device.BudgetBytes, _usedBytes, models);
        }
    }

    internal void Release(Slot slot)
    {
        IDisposable? unloaded = null;
        long freed = 0;
        lock (_gate)
        {
            slot.Leases--;
            slot.LastUsed = _time.GetUtcNow();
            if (slot.Leases > 0)
                return;
            Signal();
            if (slot.State != SlotState.Resident || slot.Pinned || _disposed)
                return;

            var keepAlive = KeepAliveOf(slot);
            if (keepAlive == TimeSpan.Zero)
            {
                unloaded = UnloadLocked(slot, out freed);
            }
            else if (keepAlive > TimeSpan.Zero)
            {
                slot.Timer ??= _time.CreateTimer(state => OnKeepAliveExpired((Slot)state!), slot, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                slot.Timer.Change(keepAlive, Timeout.InfiniteTimeSpan);
            }
        }

        if (unloaded is not null)
            Finish(slot, unloaded, freed, UnloadReason.KeepAliveExpired);
    }

    private void OnKeepAliveExpired(Slot slot)
    {
        IDisposable? unloaded;
        long freed;
        lock (_gate)
        {
            if (_disposed || slot.State != SlotState.Resident || slot.Leases > 0 || slot.Pinned)
                return;
            var keepAlive = KeepAliveOf(slot);
            var idleFor = _time.GetUtcNow() - slot.LastUsed;
            if (keepAlive < TimeSpan.Zero)
                return;
            if (idleFor < keepAlive)
            {
                slot.Timer!.Change(keepAlive - idleFor, Timeout.InfiniteTimeSpan);
                return;
            }

            unloaded = UnloadLocked(slot, out freed);
        }

        Finish(slot, unloaded, freed, UnloadReason.KeepAliveExpired);
    }

    private TimeSpan KeepAliveOf(Slot slot) => slot.Entry.KeepAlive ?? _settings.KeepAlive;

    private Task StartLoad(Slot slot)
    {
        slot.State = SlotState.Loading;
        return Task.Run(() => LoadAsync(slot));
    }

    // Detached from every caller's token: one waiter leaving must not cancel the load for the others.
    private async Task LoadAsync(Slot slot)
    {
        var entry = slot.Entry;
        var started = _time.GetTimestamp();
        try
        {
            var footprint = _loader.Estimate(entry);
            LogLoadStarted(entry.Pipeline, entry.ModelId, Device.Name, footprint.EstimateBytes);
            Raise(new ModelEvent(ModelEventKind.LoadStarted, entry, Device.Name, footprint.EstimateBytes));
            await ReserveAsync(slot, footprint.EstimateBytes).ConfigureAwait(false);

            IDisposable model;
            long measured;
            await _loadTurn.WaitAsync().ConfigureAwait(false);
            try
            {
                try
                {
                    (model, measured) = await LoadMeasuredAsync(entry, footprint).ConfigureAwait(false);
                }
                catch (DeviceOutOfMemoryException e)
                {
                    LogOutOfMemoryRetry(e, entry.ModelId, Device.Name);
                    EvictIdle(long.MaxValue);
                    (model, measured) = await LoadMeasuredAsync(entry, footprint).ConfigureAwait(false);
                }
            }
            finally
            {
                _loadTurn.Release();
            }

            lock (_gate)
            {
                _usedBytes += measured - slot.Footprint;
                slot.Footprint = measured;
                slot.Model = model;
                slot.State = SlotState.Resident;
                slot.Failures = 0;
                slot.LastUsed = _time.GetUtcNow();
            }

            var elapsed = _time.GetElapsedTime(started);
            LogLoadFinished(entry.Pipeline, entry.ModelId, Device.Name, measured, footprint.EstimateBytes, elapsed.TotalMilliseconds);
            Raise(new ModelEvent(ModelEventKind.Loaded, entry, Device.Name, measured, elapsed));

            // A measurement above the estimate can push the ledger past the budget: give back idle room at once.
            EvictIdle(0);
        }
        catch (Exception error)
        {
            var typed = Typed(entry, error);
            lock (_gate)
            {
                _usedBytes -= slot.Footprint;
                slot.Footprint = 0;
                slot.State = SlotState.Failed;
                slot.Error = typed;
                slot.Failures++;
                slot.RetryAt = _time.GetUtcNow() + TimeSpan.FromTicks(Math.Min(LongestRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(slot.Failures - 1, 16)));
                Signal();
            }

            LogLoadFailed(error, entry.Pipeline, entry.ModelId, Device.Name);
            Raise(new ModelEvent(ModelEventKind.LoadFailed, entry, Device.Name, 0, _time.GetElapsedTime(started)));
            throw typed;
        }
    }

    private async Task<(IDisposable Model, long Measured)> LoadMeasuredAsync(ModelEntry entry, ModelFootprint footprint)
    {
        var before = _memory.UsedBytes();
        var model = await _loader.LoadAsync(entry, footprint.EstimateBytes, CancellationToken.None).ConfigureAwait(false);
        var growth = _memory.UsedBytes() - before;
        return (model, footprint.MeasuredBytes(growth));
    }

    /// <summary>Admits <paramref name="bytes"/> into the ledger for <paramref name="slot"/>, evicting idle models or waiting for leases to close.</summary>
    private async Task ReserveAsync(Slot slot, long bytes)
    {
        var id = slot.Entry.ModelId;
        var deadline = _time.GetUtcNow() + _settings.LoadWaitTimeout;
        if (bytes > Device.BudgetBytes)
            throw new ModelLoadException(id, $"Model {id} needs {Size(bytes)}, more than the {Size(Device.BudgetBytes)} device {Device.Name} has for models.");

        var waitLogged = false;
        while (true)
        {
            Task changed;
            long free;
            bool ledgerFits;
            List<(Slot Slot, IDisposable Model, long Freed)> victims = [];
            lock (_gate)
            {
                free = Device.BudgetBytes - _usedBytes;
                ledgerFits = free >= bytes;
                if (ledgerFits && DriverHasRoom(bytes))
                {
                    _usedBytes += bytes;
                    slot.Footprint = bytes;
                    return;
                }

                if (!ledgerFits && EvictionPolicy.Choose(IdleCandidates(), bytes - free) is { } chosen)
                    victims = chosen.Select(v => (v, UnloadLocked(v, out var freed), freed)).ToList();

                _watchers++;
                changed = _changed.Task;
            }

            try
            {
                if (victims.Count > 0)
                {
                    foreach (var (victim, model, freedBytes) in victims)
                        Finish(victim, model, freedBytes, UnloadReason.Evicted);
                    continue;
                }

                var remaining = deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                    throw new ModelLoadException(id,
                        $"Model {id} needs {Size(bytes)} on {Device.Name}, but only {Size(Math.Max(0, free))} of {Size(Device.BudgetBytes)} are free " +
                        $"and the rest is held by models in use or pinned; waited {_settings.LoadWaitTimeout.TotalSeconds:F0} s.");
                // The ledger fits but the driver has not given memory back yet: poll it, as Ollama does after an unload.
                var delay = Task.Delay(ledgerFits && remaining > DriverPollInterval ? DriverPollInterval : remaining, _time);
                if (!waitLogged)
                {
                    LogWaitingForMemory(id, Device.Name, bytes, Math.Max(0, free));
                    Raise(new ModelEvent(ModelEventKind.WaitingForMemory, slot.Entry, Device.Name, bytes));
                    waitLogged = true;
                }

                await Task.WhenAny(changed, delay).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                    _watchers--;
            }
        }
    }

    private bool DriverHasRoom(long bytes) => _memory.FreeBytes() is not { } free || free - _settings.GpuReserveBytes >= bytes || Device.Kind == DeviceKind.Cpu;

    private IEnumerable<EvictionPolicy.Candidate<Slot>> IdleCandidates() =>
        _slots.Values
            .Where(s => s.State == SlotState.Resident && s.Leases == 0 && !s.Pinned)
            .Select(s => new EvictionPolicy.Candidate<Slot>(s, s.Footprint, s.LastUsed))
            .ToList();

    /// <summary>Unloads idle models until the ledger has <paramref name="room"/> free bytes (long.MaxValue: every idle model).</summary>
    private void EvictIdle(long room)
    {
        List<(Slot Slot, IDisposable Model, long Freed)> victims;
        lock (_gate)
        {
            var candidates = IdleCandidates().ToList();
            var deficit = room == long.MaxValue ? long.MaxValue : room - (Device.BudgetBytes - _usedBytes);
            var chosen = deficit == long.MaxValue
                ? candidates.Select(c => c.Model).ToList()
                : deficit > 0 ? EvictionPolicy.Choose(candidates, deficit) ?? candidates.Select(c => c.Model).ToList() : [];
            victims = chosen.Select(v => (v, UnloadLocked(v, out var freed), freed)).ToList();
        }

        foreach (var (victim, model, freed) in victims)
            Finish(victim, model, freed, UnloadReason.Evicted);
    }

    /// <summary>Takes a resident model off the ledger; the caller disposes it outside the lock (<see cref="Finish"/>).</summary>
    private IDisposable UnloadLocked(Slot slot, out long freed)
    {
        var model = slot.Model!;
        freed = slot.Footprint;
        _usedBytes -= slot.Footprint;
        slot.Footprint = 0;
        slot.Model = null;
        slot.Load = null;
        slot.State = SlotState.Cold;
        Signal();
        return model;
    }

    private void Finish(Slot slot, IDisposable model, long freed, UnloadReason reason)
    {
        model.Dispose();
        LogUnloaded(slot.Entry.Pipeline, slot.Entry.ModelId, Device.Name, reason, freed);
        Raise(new ModelEvent(ModelEventKind.Unloaded, slot.Entry, Device.Name, freed, Reason: reason));
    }

    /// <summary>Wakes loads waiting for memory. Allocates a new signal only when someone is waiting.</summary>
    private void Signal()
    {
        if (_watchers == 0)
            return;
        var fired = _changed;
        _changed = NewSignal();
        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Raise(ModelEvent change) => Changed?.Invoke(change);

    private static Exception Typed(ModelEntry entry, Exception error) => error switch
    {
        ModelLoadException or EngineUnavailableException or DeviceOutOfMemoryException => error,
        _ => new ModelLoadException(entry.ModelId, $"Model {entry.ModelId} failed to load: {error.Message}", error),
    };

    private static string StateName(Slot slot) => slot.State == SlotState.Loading ? "loading" : slot.Leases > 0 ? "in_use" : "idle";

    private static string Size(long bytes) => bytes < 10L << 20
        ? $"{bytes} bytes"
        : $"{bytes / (1024.0 * 1024):F0} MiB";

    /// <summary>Stops new leases, lets open ones close within the shutdown grace period, then disposes every model.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
        }

        var deadline = _time.GetUtcNow() + _settings.ShutdownGrace;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_slots.Values.All(s => s.Leases == 0 && s.State != SlotState.Loading))
                    break;
                _watchers++;
                changed = _changed.Task;
            }

            try
            {
                var remaining = deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    LogDrainTimedOut(Device.Name);
                    break;
                }

                await Task.WhenAny(changed, Task.Delay(remaining, _time)).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                    _watchers--;
            }
        }

        List<(Slot Slot, IDisposable Model, long Freed)> resident;
        lock (_gate)
        {
            resident = _slots.Values.Where(s => s.State == SlotState.Resident)
                .Select(s => (s, UnloadLocked(s, out var freed), freed)).ToList();
            foreach (var slot in _slots.Values)
                slot.Timer?.Dispose();
        }

        foreach (var (slot, model, freed) in resident)
            Finish(slot, model, freed, UnloadReason.Shutdown);
        _loadTurn.Dispose();
    }

    internal enum SlotState
    {
        Cold,
        Loading,
        Resident,
        Failed,
    }

    /// <summary>One configured model's residency. Every field is guarded by the manager's lock.</summary>
    internal sealed class Slot(ModelEntry entry)
    {
        public ModelEntry Entry { get; } = entry;
        public SlotState State { get; set; }
        public Task? Load { get; set; }
        public IDisposable? Model { get; set; }
        public long Footprint { get; set; }
        public int Leases { get; set; }
        public bool Pinned { get; set; }
        public DateTimeOffset LastUsed { get; set; }
        public int Failures { get; set; }
        public DateTimeOffset RetryAt { get; set; }
        public Exception? Error { get; set; }
        public ITimer? Timer { get; set; }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "model load start pipeline={Pipeline} model_id={ModelId} device={Device} estimate_bytes={EstimateBytes}")]
    private partial void LogLoadStarted(string pipeline, string modelId, string device, long estimateBytes);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "model load end pipeline={Pipeline} model_id={ModelId} device={Device} footprint_bytes={FootprintBytes} estimate_bytes={EstimateBytes} elapsed_ms={ElapsedMs:F0}")]
    private partial void LogLoadFinished(string pipeline, string modelId, string device, long footprintBytes, long estimateBytes, double elapsedMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "model load failed pipeline={Pipeline} model_id={ModelId} device={Device}")]
    private partial void LogLoadFailed(Exception error, string pipeline, string modelId, string device);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "model unload pipeline={Pipeline} model_id={ModelId} device={Device} reason={Reason} freed_bytes={FreedBytes}")]
    private partial void LogUnloaded(string pipeline, string modelId, string device, UnloadReason reason, long freedBytes);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "model load waiting for memory model_id={ModelId} device={Device} needs_bytes={NeedsBytes} free_bytes={FreeBytes}")]
    private partial void LogWaitingForMemory(string modelId, string device, long needsBytes, long freeBytes);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "model load out of memory, unloading idle models and retrying once model_id={ModelId} device={Device}")]
    private partial void LogOutOfMemoryRetry(Exception error, string modelId, string device);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "shutdown grace period over with leases still open device={Device}; disposing models")]
    private partial void LogDrainTimedOut(string device);
}
