using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Models;

/// <summary>Model weights in the device ledger: reserving room for a load, choosing and unloading victims, waking waiters.</summary>
public sealed partial class ModelManager
{
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
                free = Device.BudgetBytes - _usedBytes - _reservedBytes;
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

    /// <summary>
    /// Adds <paramref name="bytes"/> a resident model takes while serving (a LoRA branch session, an adapter set's
    /// factors) to its ledger entry, evicting idle models for room; false, and nothing changed, when the ledger cannot
    /// make room now.
    /// </summary>
    internal bool TryGrow(Slot slot, long bytes)
    {
        List<(Slot Slot, IDisposable Model, long Freed)> victims = [];
        lock (_gate)
        {
            if (slot.State != SlotState.Resident)
                return false;
            var free = Device.BudgetBytes - _usedBytes - _reservedBytes;
            if (free < bytes)
            {
                if (EvictionPolicy.Choose(IdleCandidates(), bytes - free) is not { } chosen)
                    return false;
                victims = chosen.Select(v => (v, UnloadLocked(v, out var freed), freed)).ToList();
            }

            _usedBytes += bytes;
            slot.Footprint += bytes;
        }

        foreach (var (victim, model, freed) in victims)
            Finish(victim, model, freed, UnloadReason.Evicted);
        return true;
    }

    /// <summary>Takes back what <see cref="TryGrow"/> added, when the model lets go of it (an adapter set evicted).</summary>
    internal void Shrink(Slot slot, long bytes)
    {
        lock (_gate)
        {
            if (slot.State != SlotState.Resident)
                return;
            var freed = Math.Min(bytes, slot.Footprint);
            _usedBytes -= freed;
            slot.Footprint -= freed;
            Signal();
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
            var deficit = room == long.MaxValue ? long.MaxValue : room - (Device.BudgetBytes - _usedBytes - _reservedBytes);
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
}
