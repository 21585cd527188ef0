using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Core.Tests;

/// <summary>
/// Request admission on a 1000-byte CPU device: each running request reserves its activations beside the resident
/// weights, waiters queue FIFO with a bound and a time limit, and a request that can never fit fails at once.
/// </summary>
public sealed class RequestAdmissionTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeDeviceMemory _memory = new();
    private readonly ScriptedLoader _loader;
    private readonly ModelManager _manager;
    private readonly List<RequestEvent> _steps = [];

    public RequestAdmissionTests()
        : this(new RunnerSettings { MaxQueue = 8, MaxQueueWait = TimeSpan.FromSeconds(30), MaxConcurrency = 8 })
    {
    }

    private RequestAdmissionTests(RunnerSettings settings)
    {
        _loader = new ScriptedLoader(_memory);
        foreach (var (id, weight) in new[] { ("a", 100L), ("b", 100L), ("big-a", 400L), ("big-b", 400L) })
            _loader.Define(id, weight);
        _manager = new ModelManager(_loader, ComputeDevice.Cpu(1000), _memory, _time, settings with { KeepAlive = TimeSpan.FromMinutes(5) }, NullLogger<ModelManager>.Instance);
        _manager.Requests += step => { lock (_steps) _steps.Add(step); };
    }

    public ValueTask DisposeAsync() => _manager.DisposeAsync();

    private static LeaseRequest Request(string id, long activations, WhenBusy whenBusy = WhenBusy.Wait) =>
        new(new ModelEntry("upscale", id, Warm: false), whenBusy, activations);

    private async Task ResidentAsync(params string[] ids)
    {
        foreach (var id in ids)
            (await _manager.AcquireAsync(Request(id, 1), CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task Request_ReservesItsActivations_UntilItEnds()
    {
        var lease = await _manager.AcquireAsync(Request("a", 300), CancellationToken.None);

        Assert.Equal(300, _manager.Load().ReservedBytes);
        Assert.Equal(1000 - 100 - 300, _manager.Snapshot().FreeBytes);
        lease.Dispose();
        Assert.Equal(0, _manager.Load().ReservedBytes);
        Assert.Equal(0, _manager.Load().Running);
    }

    [Fact]
    public async Task RequestThatDoesNotFitNow_Waits_UntilAnotherEnds()
    {
        await ResidentAsync("a", "b");
        var held = await _manager.AcquireAsync(Request("a", 600), CancellationToken.None);

        var waiting = _manager.AcquireAsync(Request("b", 400), CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, _manager.Load().Queued);

        held.Dispose();
        using var admitted = await waiting;
        Assert.Equal(400, admitted.ReservedBytes);
    }

    [Fact]
    public async Task Queue_IsFifo_ALargeRequestIsNotStarvedBySmallOnes()
    {
        await ResidentAsync("a", "b");
        var held = await _manager.AcquireAsync(Request("a", 600), CancellationToken.None);

        var large = _manager.AcquireAsync(Request("b", 500), CancellationToken.None).AsTask();
        var small = _manager.AcquireAsync(Request("b", 100), CancellationToken.None).AsTask();

        // 200 bytes are free: the small request would fit, but it waits behind the large one.
        Assert.False(small.IsCompleted);
        held.Dispose();
        using var first = await large;
        using var second = await small;
        Assert.Equal(600, _manager.Load().ReservedBytes);
    }

    [Fact]
    public async Task WaiterForABusyModel_LetsRequestsForOtherModelsPass()
    {
        _loader.Concurrencies["a"] = 1;
        await ResidentAsync("a", "b");
        var held = await _manager.AcquireAsync(Request("a", 10), CancellationToken.None);
        var queued = _manager.AcquireAsync(Request("a", 10), CancellationToken.None).AsTask();

        var other = _manager.AcquireAsync(Request("b", 10), CancellationToken.None);

        Assert.True(other.IsCompleted, "b's request is not held back by a's busy model");
        (await other).Dispose();
        Assert.False(queued.IsCompleted);
        held.Dispose();
        (await queued).Dispose();
    }

    [Fact]
    public async Task IdleModels_AreEvicted_ToAdmitARequest()
    {
        await ResidentAsync("big-a", "big-b");

        using var lease = await _manager.AcquireAsync(Request("big-a", 300), CancellationToken.None);

        Assert.Equal(["big-a"], _manager.Snapshot().Models.Select(m => m.ModelId));
        Assert.True(_loader.Loaded["big-b"].Disposed);
    }

    [Fact]
    public async Task RequestThatCanNeverFit_FailsAtOnce_NamingTheSizes()
    {
        await ResidentAsync("a");

        var error = await Assert.ThrowsAsync<BadInputException>(() => _manager.AcquireAsync(Request("a", 950), CancellationToken.None).AsTask());

        Assert.Contains("950 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("1000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Assert.Single(_manager.Snapshot().Models).Leases);
    }

    [Fact]
    public async Task FullQueue_IsBusyAtOnce()
    {
        await using var manager = new RequestAdmissionTests(new RunnerSettings { MaxQueue = 1, MaxConcurrency = 1 });
        var held = await manager._manager.AcquireAsync(Request("a", 10), CancellationToken.None);
        var queued = manager._manager.AcquireAsync(Request("b", 10), CancellationToken.None).AsTask();

        var busy = await Assert.ThrowsAsync<ModelBusyException>(() => manager._manager.AcquireAsync(Request("b", 10), CancellationToken.None).AsTask());

        Assert.Equal(BusyReason.QueueFull, busy.Reason);
        Assert.Contains("insufficient capacity", busy.Message, StringComparison.Ordinal);
        Assert.Contains("RUNNER_MAX_QUEUE", busy.Message, StringComparison.Ordinal);
        Assert.False(queued.IsCompleted);
        held.Dispose();
        (await queued).Dispose();
    }

    [Fact]
    public async Task NoQueue_ARequestWithNoFreeTurnIsBusyAtOnce()
    {
        await using var manager = new RequestAdmissionTests(new RunnerSettings { MaxQueue = 0, MaxConcurrency = 1 });
        using var held = await manager._manager.AcquireAsync(Request("a", 10), CancellationToken.None);

        var busy = await Assert.ThrowsAsync<ModelBusyException>(() => manager._manager.AcquireAsync(Request("b", 10), CancellationToken.None).AsTask());

        Assert.Equal(BusyReason.QueueFull, busy.Reason);
    }

    [Fact]
    public async Task WaitPastTheLimit_IsBusy_AndLeavesTheQueue()
    {
        _loader.Concurrencies["a"] = 1;
        using var held = await _manager.AcquireAsync(Request("a", 10), CancellationToken.None);
        var waiting = _manager.AcquireAsync(Request("a", 10), CancellationToken.None).AsTask();

        _time.Advance(TimeSpan.FromSeconds(30));

        var busy = await Assert.ThrowsAsync<ModelBusyException>(() => waiting);
        Assert.Equal(BusyReason.QueueTimeout, busy.Reason);
        Assert.Equal(0, _manager.Load().Queued);
        lock (_steps)
            Assert.Contains(_steps, s => s.Kind == RequestEventKind.Rejected && s.Reason == BusyReason.QueueTimeout);
    }

    [Fact]
    public async Task CancelledWaiter_LeavesTheQueue_AndTheNextOneGetsItsPlace()
    {
        await ResidentAsync("a", "b");
        var held = await _manager.AcquireAsync(Request("a", 600), CancellationToken.None);
        using var leaving = new CancellationTokenSource();
        var cancelled = _manager.AcquireAsync(Request("b", 500), leaving.Token).AsTask();
        var next = _manager.AcquireAsync(Request("b", 150), CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);

        await leaving.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        using var admitted = await next;
        Assert.Equal(0, _manager.Load().Queued);
        held.Dispose();
    }

    [Fact]
    public async Task DeviceConcurrency_LimitsRequestsAcrossModels()
    {
        await using var manager = new RequestAdmissionTests(new RunnerSettings { MaxConcurrency = 1 });
        using var held = await manager._manager.AcquireAsync(Request("a", 10), CancellationToken.None);

        var busy = await Assert.ThrowsAsync<ModelBusyException>(() => manager._manager.AcquireAsync(Request("b", 10, WhenBusy.Fail), CancellationToken.None).AsTask());

        Assert.Equal(BusyReason.DeviceBusy, busy.Reason);
    }

    [Fact]
    public async Task MeasuredGrowth_RaisesTheNextReservationOfTheSameSize()
    {
        await ResidentAsync("a");
        using (await _manager.AcquireAsync(Request("a", 100), CancellationToken.None))
            Interlocked.Add(ref _memory.Used, 250);

        using var next = await _manager.AcquireAsync(Request("a", 100), CancellationToken.None);

        Assert.Equal(250, _manager.Measured("upscale", "a", 100));
        Assert.Equal(250, next.ReservedBytes);
    }

    [Fact]
    public async Task Measuring_StopsAfterAFewRequestsOfASizeClass()
    {
        await ResidentAsync("a");
        for (var i = 0; i < 4; i++)
        {
            using (await _manager.AcquireAsync(Request("a", 100), CancellationToken.None))
                Interlocked.Add(ref _memory.Used, 10);
        }

        using (await _manager.AcquireAsync(Request("a", 100), CancellationToken.None))
            Interlocked.Add(ref _memory.Used, 500);

        Assert.Equal(10, _manager.Measured("upscale", "a", 100));
    }

    [Fact]
    public async Task Admission_IsReportedForMetrics()
    {
        using (await _manager.AcquireAsync(Request("a", 10), CancellationToken.None))
        {
        }

        lock (_steps)
            Assert.Equal([RequestEventKind.Admitted, RequestEventKind.Finished], _steps.Select(s => s.Kind));
    }
}
