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

    /// <summary>Every step of a request through admission, raised outside the lock.</summary>
    public event Action<RequestEvent>? Requests;

    /// <summary>
    /// Acquires a lease on the model, loading it first if needed, and admits the request (<see cref="ModelManager"/>'s
    /// request admission): one of the model's turns, one of the device's, and room in the ledger for its activations.
    /// A request that cannot run now waits in the device's FIFO queue, or with <see cref="WhenBusy.Fail"/> (or a full
    /// queue, or a wait past RUNNER_MAX_QUEUE_WAIT_SECONDS) gets a <see cref="ModelBusyException"/>.
    /// A resident model with room to run costs one lock and no allocation.
    /// </summary>
    public ValueTask<ModelLease> AcquireAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        var entry = request.Entry;
        Slot slot;
        Task? load = null;
        Demand demand = default;
        var admitted = false;
        var alone = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (entry.Pipeline, entry.ModelId);
            if (!_slots.TryGetValue(key, out slot!))
                _slots[key] = slot = new Slot(entry, _loader.Concurrency(entry));

            if (slot.State == SlotState.Resident)
            {
                demand = DemandLocked(slot, request);
                slot.Leases++;
                admitted = _queue.Count == 0 && TryAdmitLocked(slot, demand.Bytes, victims: null) == Admission.Admitted;
                alone = admitted && _running == 1 && demand.Measure;
            }
            else
            {
                if (slot.State == SlotState.Failed && _time.GetUtcNow() < slot.RetryAt)
                    throw slot.Error!;
                if (slot.State is SlotState.Cold or SlotState.Failed)
                    slot.Load = StartLoad(slot);
                load = slot.Load!;

                // A waiter holds a lease already, so the model cannot be evicted between its load and its use.
                slot.Leases++;
            }
        }

        if (!admitted)
            return AwaitAdmissionAsync(slot, load, request, cancellationToken);
        RaiseStep(RequestEventKind.Admitted, entry, Device.Name);
        // Only a request that runs alone on the device can have its memory growth measured.
        return new ValueTask<ModelLease>(new ModelLease(this, slot, demand, alone ? _memory.UsedBytes() : null));
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
                .Select(s => new ResidentModel(s.Entry.Pipeline, s.Entry.ModelId, StateName(s), s.Footprint, s.Pinned, s.Leases, s.LastUsed, s.Running))
                .ToList();
            var requests = Load();
            return new ResidencySnapshot(Device.Name, Device.Kind.ToString().ToLowerInvariant(), Device.TotalBytes, Device.BudgetBytes, _usedBytes, models, requests);
        }
    }

    private void Release(Slot slot)
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
            lock (_gate)
                slot.DefaultActivationBytes = footprint.ActivationBytes;
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
                    (model, measured) = await LoadMeasuredAsync(slot, footprint).ConfigureAwait(false);
                }
                catch (DeviceOutOfMemoryException e)
                {
                    LogOutOfMemoryRetry(e, entry.ModelId, Device.Name);
                    EvictIdle(long.MaxValue);
                    (model, measured) = await LoadMeasuredAsync(slot, footprint).ConfigureAwait(false);
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

    private async Task<(IDisposable Model, long Measured)> LoadMeasuredAsync(Slot slot, ModelFootprint footprint)
    {
        var entry = slot.Entry;
        // What the model's sessions may take in all: its weights and the activations of the requests it may run at once.
        var arenas = footprint.EstimateBytes + (footprint.ActivationBytes * Math.Min(slot.Concurrency, MaxConcurrency));
        var before = _memory.UsedBytes();
        var model = await _loader.LoadAsync(entry, arenas, CancellationToken.None).ConfigureAwait(false);
        var growth = _memory.UsedBytes() - before;
        return (model, footprint.MeasuredBytes(growth));
    }

    private void Raise(ModelEvent change) => Changed?.Invoke(change);

    /// <summary>Builds the event only when someone listens, so the warm path allocates nothing without metrics.</summary>
    private void RaiseStep(RequestEventKind kind, ModelEntry entry, string device, TimeSpan waited = default, BusyReason? reason = null)
    {
        if (Requests is { } listeners)
            listeners(new RequestEvent(kind, entry, device, waited, reason));
    }

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
        List<Waiter> queued;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            queued = [.. _queue];
            _queue.Clear();
        }

        // Requests still waiting for a turn will not get one: they end now and give their leases back.
        foreach (var waiter in queued)
            waiter.Turn.TrySetException(new ObjectDisposedException(nameof(ModelManager), "The runner is shutting down."));

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

    /// <summary>One configured model's residency and running requests. Every field is guarded by the manager's lock.</summary>
    internal sealed class Slot(ModelEntry entry, int concurrency)
    {
        public ModelEntry Entry { get; } = entry;

        /// <summary>How many requests the model runs at once.</summary>
        public int Concurrency { get; } = concurrency;

        /// <summary>Requests admitted and running on the model now (at most <see cref="Concurrency"/>).</summary>
        public int Running { get; set; }

        /// <summary>The engine's default activation estimate for one request, known once the footprint is.</summary>
        public long DefaultActivationBytes { get; set; }
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
}
