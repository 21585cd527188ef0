using System.Numerics;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Models;

/// <summary>
/// Request admission: which requests run now on the device, and in what order the others get their turn.
/// <list type="bullet">
/// <item>A request runs when its model has a free turn (the engine's concurrency, at most the entry's <c>capacity</c>),
/// the device runs fewer than RUNNER_MAX_CONCURRENCY requests, and the ledger has room for its activations beside the
/// resident weights and the other running requests' activations (idle models are evicted to make room).</item>
/// <item>The others wait in one FIFO queue per device, bounded by RUNNER_MAX_QUEUE and RUNNER_MAX_QUEUE_WAIT_SECONDS. A
/// waiter held back by the device (slots or memory) holds back everyone behind it, so a large request is not starved
/// by small ones; a waiter whose own model is busy lets the requests of other models pass.</item>
/// <item>An activation estimate is the engine's, raised to the largest growth of device memory measured for the same
/// model and size class when a request ran alone (<see cref="Measured"/>).</item>
/// </list>
/// </summary>
public sealed partial class ModelManager
{
    private readonly LinkedList<Waiter> _queue = new();
    /// <summary>Requests of one model and size class measured before measuring stops (it costs two memory reads a request).</summary>
    private const int SamplesPerSizeClass = 4;

    private readonly Dictionary<(string Pipeline, string ModelId, int SizeClass), (long Bytes, int Samples)> _measured = [];
    private int _running;
    private long _reservedBytes;

    /// <summary>Requests the device runs at once: RUNNER_MAX_CONCURRENCY, else 8 on a GPU and 4 on the CPU.</summary>
    public int MaxConcurrency => _settings.MaxConcurrency ?? (Device.Kind == Devices.DeviceKind.Gpu ? 8 : 4);

    /// <summary>The device's requests now, without the per-model list of <see cref="Snapshot"/>.</summary>
    public RequestLoad Load()
    {
        lock (_gate)
            return new RequestLoad(_running, MaxConcurrency, _queue.Count, _settings.MaxQueue, _reservedBytes);
    }

    /// <summary>The largest device-memory growth measured for a model's requests of one size class (powers of two of the estimate).</summary>
    public long? Measured(string pipeline, string modelId, long estimateBytes)
    {
        lock (_gate)
            return _measured.TryGetValue((pipeline, modelId, SizeClass(estimateBytes)), out var measured) ? measured.Bytes : null;
    }

    internal enum Admission
    {
        Admitted,

        /// <summary>The model has no free turn: later requests for other models may pass.</summary>
        ModelBusy,

        /// <summary>The device has no free slot or memory: nobody behind may pass.</summary>
        DeviceBusy,
    }

    /// <summary>What a request reserves while it runs, the size class its measurement is filed under, and whether it is still measured.</summary>
    internal readonly record struct Demand(long Bytes, int SizeClass, bool Measure);

    private sealed class Waiter(Slot slot, Demand demand, long enqueuedAt)
    {
        public Slot Slot { get; } = slot;

        public Demand Demand { get; } = demand;

        public long EnqueuedAt { get; } = enqueuedAt;

        public LinkedListNode<Waiter>? Node { get; set; }

        public bool IsAdmitted { get; set; }

        public TaskCompletionSource Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static int SizeClass(long bytes) => bytes <= 0 ? 0 : BitOperations.Log2((ulong)bytes);

    private Demand DemandLocked(Slot slot, LeaseRequest request)
    {
        var estimate = request.ActivationBytes ?? slot.DefaultActivationBytes;
        var room = Device.BudgetBytes - slot.Footprint;
        if (estimate > room)
        {
            throw new BadInputException(
                $"This request needs {Size(estimate)} of working memory beside the {Size(slot.Footprint)} of model {slot.Entry.ModelId}, " +
                $"more than the {Size(Device.BudgetBytes)} device {Device.Name} has for models; ask for a smaller output.");
        }

        // A measurement raises the reservation, but never so far that the request could not run at all.
        var sizeClass = SizeClass(estimate);
        var measured = _measured.GetValueOrDefault((slot.Entry.Pipeline, slot.Entry.ModelId, sizeClass));
        return new Demand(Math.Min(Math.Max(estimate, measured.Bytes), room), sizeClass, measured.Samples < SamplesPerSizeClass);
    }

    /// <summary>Admits one request if it can run now; with <paramref name="victims"/>, idle models may be unloaded for its activations.</summary>
    private Admission TryAdmitLocked(Slot slot, long bytes, List<(Slot Slot, IDisposable Model, long Freed)>? victims)
    {
        if (slot.Running >= slot.Concurrency)
            return Admission.ModelBusy;
        if (_running >= MaxConcurrency)
            return Admission.DeviceBusy;

        var free = Device.BudgetBytes - _usedBytes - _reservedBytes;
        if (free < bytes)
        {
            if (victims is null || EvictionPolicy.Choose(IdleCandidates(), bytes - free) is not { } chosen)
                return Admission.DeviceBusy;
            victims.AddRange(chosen.Select(v => (v, UnloadLocked(v, out var freed), freed)));
        }

        slot.Running++;
        _running++;
        _reservedBytes += bytes;
        return Admission.Admitted;
    }

    private async ValueTask<ModelLease> AwaitAdmissionAsync(Slot slot, Task? load, LeaseRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (load is not null)
                await load.WaitAsync(cancellationToken).ConfigureAwait(false);

            Demand demand;
            Waiter? waiter = null;
            List<(Slot Slot, IDisposable Model, long Freed)> victims = [];
            lock (_gate)
            {
                demand = DemandLocked(slot, request);
                // Nobody passes the queue: with waiters ahead, a request that will not wait is busy.
                var admission = _queue.Count == 0 ? TryAdmitLocked(slot, demand.Bytes, victims) : Admission.DeviceBusy;
                if (admission != Admission.Admitted)
                {
                    if (request.WhenBusy == WhenBusy.Fail)
                        throw Busy(slot, admission == Admission.ModelBusy ? BusyReason.ModelBusy : BusyReason.DeviceBusy);
                    if (_queue.Count >= _settings.MaxQueue)
                        throw Busy(slot, BusyReason.QueueFull);
                    waiter = new Waiter(slot, demand, _time.GetTimestamp());
                    waiter.Node = _queue.AddLast(waiter);
                }
            }

            foreach (var (victim, model, freed) in victims)
                Finish(victim, model, freed, UnloadReason.Evicted);
            if (waiter is null)
            {
                RaiseStep(RequestEventKind.Admitted, slot.Entry, Device.Name);
                return new ModelLease(this, slot, demand, measuredFrom: null);
            }

            RaiseStep(RequestEventKind.Queued, slot.Entry, Device.Name);
            // The waiters ahead may all be held back by their own busy models: then this one may pass at once.
            PumpAndFinish();
            return await WaitForTurnAsync(waiter, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelBusyException busy)
        {
            RaiseStep(RequestEventKind.Rejected, slot.Entry, Device.Name, reason: busy.Reason);
            Release(slot);
            throw;
        }
        catch
        {
            Release(slot);
            throw;
        }
    }

    private async Task<ModelLease> WaitForTurnAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Turn.Task.WaitAsync(_settings.MaxQueueWait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            bool admitted;
            lock (_gate)
            {
                admitted = waiter.IsAdmitted;
                if (!admitted)
                    _queue.Remove(waiter.Node!);
            }

            // Leaving the queue may let the requests behind it pass.
            PumpAndFinish();
            if (admitted && e is TimeoutException)
                return Admitted(waiter); // its turn came as the wait ran out: take it
            if (admitted)
                EndTurn(waiter.Slot, waiter.Demand, measuredFrom: null);
            if (e is TimeoutException)
                throw Busy(waiter.Slot, BusyReason.QueueTimeout);
            if (!admitted)
                RaiseStep(RequestEventKind.Abandoned, waiter.Slot.Entry, Device.Name, _time.GetElapsedTime(waiter.EnqueuedAt));
            throw;
        }

        return Admitted(waiter);
    }

    private ModelLease Admitted(Waiter waiter)
    {
        RaiseStep(RequestEventKind.Admitted, waiter.Slot.Entry, Device.Name, _time.GetElapsedTime(waiter.EnqueuedAt));
        return new ModelLease(this, waiter.Slot, waiter.Demand, measuredFrom: null);
    }

    private ModelBusyException Busy(Slot slot, BusyReason reason)
    {
        var id = slot.Entry.ModelId;
        return new ModelBusyException(id, reason, reason switch
        {
            BusyReason.ModelBusy => $"model {id} is running its {slot.Concurrency} request{(slot.Concurrency == 1 ? "" : "s")} at once.",
            BusyReason.DeviceBusy => $"device {Device.Name} has no free slot or memory for a request to {id} now.",
            BusyReason.QueueFull => $"{_settings.MaxQueue} requests already wait on device {Device.Name} (RUNNER_MAX_QUEUE).",
            _ => $"waited {_settings.MaxQueueWait.TotalSeconds:F0} s for a turn on model {id} (RUNNER_MAX_QUEUE_WAIT_SECONDS).",
        });
    }

    /// <summary>A lease ends: its turn and activation reservation go to the next in line, then the lease itself is released.</summary>
    internal void Return(Slot slot, Demand demand, long? measuredFrom)
    {
        EndTurn(slot, demand, measuredFrom);
        Release(slot);
    }

    private void EndTurn(Slot slot, Demand demand, long? measuredFrom)
    {
        var growth = measuredFrom is { } before ? _memory.UsedBytes() - before : (long?)null;
        lock (_gate)
        {
            slot.Running--;
            _running--;
            _reservedBytes -= demand.Bytes;
            // Filed only when nothing else ran meanwhile, so the growth is this request's.
            if (growth is { } measured && _running == 0)
            {
                var key = (slot.Entry.Pipeline, slot.Entry.ModelId, demand.SizeClass);
                var (bytes, samples) = _measured.GetValueOrDefault(key);
                _measured[key] = (Math.Max(bytes, measured), samples + 1);
            }

            Signal();
        }

        RaiseStep(RequestEventKind.Finished, slot.Entry, Device.Name);
        PumpAndFinish();
    }

    /// <summary>Admits waiters in queue order while the device has room, then wakes them and unloads any victims outside the lock.</summary>
    private void PumpAndFinish()
    {
        List<Waiter> admitted;
        List<(Slot Slot, IDisposable Model, long Freed)> victims;
        lock (_gate)
        {
            if (_queue.Count == 0)
                return; // the usual case: nothing to wake, nothing to allocate
            admitted = [];
            victims = [];
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                var waiter = node.Value;
                var admission = TryAdmitLocked(waiter.Slot, waiter.Demand.Bytes, victims);
                if (admission == Admission.DeviceBusy)
                    break;
                if (admission == Admission.Admitted)
                {
                    _queue.Remove(node);
                    waiter.IsAdmitted = true;
                    admitted.Add(waiter);
                }

                node = next;
            }
        }

        foreach (var (victim, model, freed) in victims)
            Finish(victim, model, freed, UnloadReason.Evicted);
        foreach (var waiter in admitted)
            waiter.Turn.TrySetResult();
    }
}
