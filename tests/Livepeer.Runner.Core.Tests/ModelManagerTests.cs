using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Core.Tests;

/// <summary>The residency policy on a 1000-byte CPU device, with scripted loads and a fake clock.</summary>
public sealed class ModelManagerTests : IAsyncDisposable
{
    private const long Budget = 1000;

    private readonly FakeTimeProvider _time = new();
    private readonly FakeDeviceMemory _memory = new();
    private readonly ScriptedLoader _loader;
    private readonly ModelManager _manager;
    private readonly List<ModelEvent> _events = [];

    public ModelManagerTests()
    {
        _loader = new ScriptedLoader(_memory);
        var settings = new RunnerSettings
        {
            KeepAlive = TimeSpan.FromMinutes(5),
            LoadWaitTimeout = TimeSpan.FromSeconds(30),
            ShutdownGrace = TimeSpan.FromSeconds(10),
            // Residency, not request admission, is under test here: let every lease run.
            MaxConcurrency = 1000,
        };
        _manager = new ModelManager(_loader, ComputeDevice.Cpu(Budget), _memory, _time, settings, NullLogger<ModelManager>.Instance);
        _manager.Changed += change => { lock (_events) _events.Add(change); };
    }

    public ValueTask DisposeAsync() => _manager.DisposeAsync();

    private static ModelEntry Entry(string id, bool warm = false, TimeSpan? keepAlive = null) => new("upscale", id, warm, null, keepAlive);

    private async Task UseAsync(string id, long weight)
    {
        _loader.Define(id, weight);
        using var lease = await _manager.AcquireAsync(Entry(id), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
    }

    private IReadOnlyList<string> Resident() => _manager.Snapshot().Models.Select(m => m.ModelId).Order().ToList();

    private Task WaitingFor(string id)
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _manager.Changed += change =>
        {
            if (change.Kind == ModelEventKind.WaitingForMemory && change.Entry.ModelId == id)
                waiting.TrySetResult();
        };
        return waiting.Task;
    }

    private List<(ModelEventKind, string, UnloadReason?)> Unloads() =>
        _events.Where(e => e.Kind == ModelEventKind.Unloaded).Select(e => (e.Kind, e.Entry.ModelId, e.Reason)).ToList();

    [Fact]
    public async Task TryCharge_GrowsTheLeasedModelsEntry_AndRefundGivesItBack()
    {
        _loader.Define("a", 300);
        using var lease = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        Assert.True(lease.TryCharge(200));
        Assert.Equal((500L, 500L), (_manager.Snapshot().UsedBytes, _manager.Snapshot().Models.Single().FootprintBytes));

        lease.Refund(200);
        Assert.Equal((300L, 300L), (_manager.Snapshot().UsedBytes, _manager.Snapshot().Models.Single().FootprintBytes));
    }

    [Fact]
    public async Task TryCharge_EvictsIdleModelsForRoom()
    {
        await UseAsync("idle", 400);
        _loader.Define("a", 300);
        using var lease = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        Assert.True(lease.TryCharge(500));

        Assert.Equal(["a"], Resident());
        Assert.Equal(800, _manager.Snapshot().UsedBytes);
        Assert.Contains((ModelEventKind.Unloaded, "idle", (UnloadReason?)UnloadReason.Evicted), Unloads());
    }

    [Fact]
    public async Task TryCharge_WithoutRoom_ChangesNothing()
    {
        _loader.Define("busy", 400);
        using var other = await _manager.AcquireAsync(Entry("busy"), CancellationToken.None);
        _loader.Define("a", 300);
        using var lease = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        Assert.False(lease.TryCharge(400));

        Assert.Equal(700, _manager.Snapshot().UsedBytes);
        Assert.Equal(["a", "busy"], Resident());
    }

    [Fact]
    public async Task Load_ThatFits_IsAdmittedAtItsMeasuredFootprint()
    {
        _loader.Define("a", weightBytes: 300, growth: 340);

        using var lease = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        var ledger = _manager.Snapshot();
        Assert.Equal(340, ledger.UsedBytes);
        var model = Assert.Single(ledger.Models);
        Assert.Equal((340L, "in_use", 1), (model.FootprintBytes, model.State, model.Leases));
    }

    [Fact]
    public async Task Load_ThatDoesNotFit_EvictsTheColdestIdleModelThatAloneFreesEnough()
    {
        await UseAsync("a", 300);
        await UseAsync("b", 300);
        await UseAsync("c", 300);

        await UseAsync("d", 300); // estimate 375 > 100 free: one 300-byte model is enough, and "a" is the coldest

        Assert.Equal(["b", "c", "d"], Resident());
        Assert.Equal([(ModelEventKind.Unloaded, "a", UnloadReason.Evicted)], Unloads());
        Assert.True(_loader.Loaded["a"].Disposed);
        Assert.True(_manager.Snapshot().UsedBytes <= Budget);
    }

    [Fact]
    public async Task Load_ThatNoSingleModelMakesRoomFor_EvictsTheLeastRecentlyUsedSet()
    {
        await UseAsync("a", 200);
        await UseAsync("b", 200);
        await UseAsync("c", 200);
        await UseAsync("d", 300);

        await UseAsync("e", 400); // estimate 500, free 100: needs two of the 200s; "a" and "b" are the coldest

        Assert.Equal(["c", "d", "e"], Resident());
        Assert.Equal(["a", "b"], Unloads().Select(u => u.Item2).Order());
    }

    [Fact]
    public async Task Eviction_PrefersOneColdModelOverSeveralColderSmallOnes()
    {
        await UseAsync("small1", 150);
        await UseAsync("small2", 150);
        await UseAsync("big", 500);

        await UseAsync("new", 400); // estimate 500, free 200: "big" alone frees enough, so the small ones stay

        Assert.Equal(["new", "small1", "small2"], Resident());
    }

    [Fact]
    public async Task Acquire_WhenAllModelsAreBusy_WaitsForARelease()
    {
        _loader.Define("a", 700);
        _loader.Define("b", 400);
        var held = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);
        var waiting = WaitingFor("b");

        var b = _manager.AcquireAsync(Entry("b"), CancellationToken.None).AsTask();
        await waiting;
        Assert.False(b.IsCompleted);

        held.Dispose();
        using var lease = await b;
        Assert.Equal(["b"], Resident());
        Assert.Equal(1, _loader.Calls("b"));
    }

    [Fact]
    public async Task Acquire_WaitingPastTheTimeout_FailsNamingTheModelAndTheMemory()
    {
        _loader.Define("a", 700);
        _loader.Define("b", 400);
        using var held = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);
        var waiting = WaitingFor("b");

        var b = _manager.AcquireAsync(Entry("b"), CancellationToken.None).AsTask();
        await waiting;
        _time.Advance(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => b);
        Assert.Equal("Model b needs 500 bytes on cpu, but only 300 bytes of 1000 bytes are free and the rest is held by models in use or pinned; waited 30 s.", error.Message);
    }

    [Fact]
    public async Task ModelLargerThanTheDevice_FailsAtOnce()
    {
        _loader.Define("huge", 900); // estimate 1125 > 1000

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => _manager.AcquireAsync(Entry("huge"), CancellationToken.None).AsTask());
        Assert.Contains("more than the", error.Message);
        Assert.Empty(_manager.Snapshot().Models);
    }

    [Fact]
    public async Task IdleModel_IsUnloadedWhenItsKeepAliveRunsOut()
    {
        await UseAsync("a", 300);

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(["a"], Resident());
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(Resident());
        Assert.Equal([(ModelEventKind.Unloaded, "a", UnloadReason.KeepAliveExpired)], Unloads());
        Assert.Equal(0, _manager.Snapshot().UsedBytes);
    }

    [Fact]
    public async Task UseWithinTheKeepAlive_RestartsIt()
    {
        await UseAsync("a", 300);
        _time.Advance(TimeSpan.FromMinutes(4));
        await UseAsync("a", 300);
        _time.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal(["a"], Resident());
        Assert.Equal(1, _loader.Calls("a"));
    }

    [Fact]
    public async Task KeepAliveZero_UnloadsOnLastRelease_AndNegativeKeepsForever()
    {
        _loader.Define("now", 100);
        _loader.Define("never", 100);
        using (await _manager.AcquireAsync(Entry("now", keepAlive: TimeSpan.Zero), CancellationToken.None))
            Assert.Equal(["now"], Resident());
        using (await _manager.AcquireAsync(Entry("never", keepAlive: TimeSpan.FromSeconds(-1)), CancellationToken.None))
        {
        }

        _time.Advance(TimeSpan.FromDays(30));

        Assert.Equal(["never"], Resident());
    }

    [Fact]
    public async Task WarmModels_ArePinned_NeitherExpiringNorEvicted()
    {
        _loader.Define("warm", 700);
        _loader.Define("other", 400);
        await _manager.WarmUpAsync([Entry("warm", warm: true)], CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(1));
        var waiting = WaitingFor("other");

        var other = _manager.AcquireAsync(Entry("other"), CancellationToken.None).AsTask();
        await waiting;
        _time.Advance(TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<ModelLoadException>(() => other);
        var warm = Assert.Single(_manager.Snapshot().Models);
        Assert.True(warm.Pinned);
        Assert.Empty(Unloads());
    }

    [Fact]
    public async Task ConcurrentAcquiresOfAColdModel_LoadItOnce()
    {
        _loader.Define("a", 300);
        _loader.Gates["a"] = new(TaskCreationOptions.RunContinuationsAsynchronously);

        var acquires = Enumerable.Range(0, 50).Select(_ => _manager.AcquireAsync(Entry("a"), CancellationToken.None).AsTask()).ToList();
        _loader.Gates["a"].SetResult();
        var leases = await Task.WhenAll(acquires);

        Assert.Equal(1, _loader.Calls("a"));
        Assert.All(leases, lease => Assert.Same(_loader.Loaded["a"], lease.Model));
        Assert.Equal(50, Assert.Single(_manager.Snapshot().Models).Leases);
        foreach (var lease in leases)
            lease.Dispose();
        Assert.Equal(0, Assert.Single(_manager.Snapshot().Models).Leases);
    }

    [Fact]
    public async Task CancelledWaiter_DoesNotCancelTheSharedLoad()
    {
        _loader.Define("a", 300);
        _loader.Gates["a"] = new(TaskCreationOptions.RunContinuationsAsynchronously);
        using var leaving = new CancellationTokenSource();

        var cancelled = _manager.AcquireAsync(Entry("a"), leaving.Token).AsTask();
        var staying = _manager.AcquireAsync(Entry("a"), CancellationToken.None).AsTask();
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        _loader.Gates["a"].SetResult();
        using var lease = await staying;
        Assert.Equal(1, _loader.Calls("a"));
        Assert.Equal(1, Assert.Single(_manager.Snapshot().Models).Leases);
    }

    [Fact]
    public async Task FailedLoad_FailsItsWaiters_IsRememberedWithBackoff_AndSparesOtherModels()
    {
        await UseAsync("healthy", 300);
        _loader.Define("broken", 300);
        _loader.Failures.Enqueue(new InvalidDataException("corrupt graph"));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => _manager.AcquireAsync(Entry("broken"), CancellationToken.None).AsTask());
        Assert.Equal("Model broken failed to load: corrupt graph", error.Message);
        await Assert.ThrowsAsync<ModelLoadException>(() => _manager.AcquireAsync(Entry("broken"), CancellationToken.None).AsTask());
        Assert.Equal(1, _loader.Calls("broken"));
        Assert.Equal(["healthy"], Resident());
        Assert.Equal(300, _manager.Snapshot().UsedBytes);

        _time.Advance(TimeSpan.FromSeconds(5));
        using var lease = await _manager.AcquireAsync(Entry("broken"), CancellationToken.None);
        Assert.Equal(2, _loader.Calls("broken"));
    }

    [Fact]
    public async Task TypedLoadErrors_ReachTheCallerUnwrapped()
    {
        _loader.Define("a", 10);
        _loader.Failures.Enqueue(new EngineUnavailableException("no engine"));

        var error = await Assert.ThrowsAsync<EngineUnavailableException>(() => _manager.AcquireAsync(Entry("a"), CancellationToken.None).AsTask());
        Assert.Equal("no engine", error.Message);
    }

    [Fact]
    public async Task OutOfMemoryDuringLoad_UnloadsIdleModelsAndRetriesOnce()
    {
        await UseAsync("idle", 300);
        _loader.Define("b", 300);
        _loader.Failures.Enqueue(new DeviceOutOfMemoryException("CUDA failure 2: out of memory"));

        using var lease = await _manager.AcquireAsync(Entry("b"), CancellationToken.None);

        Assert.Equal(2, _loader.Calls("b"));
        Assert.Equal(["b"], Resident());
        Assert.Equal([(ModelEventKind.Unloaded, "idle", UnloadReason.Evicted)], Unloads());
    }

    [Fact]
    public async Task OutOfMemoryTwice_FailsTheLoad()
    {
        _loader.Define("b", 300);
        _loader.Failures.Enqueue(new DeviceOutOfMemoryException("oom"));
        _loader.Failures.Enqueue(new DeviceOutOfMemoryException("oom"));

        await Assert.ThrowsAsync<DeviceOutOfMemoryException>(() => _manager.AcquireAsync(Entry("b"), CancellationToken.None).AsTask());
        Assert.Equal(0, _manager.Snapshot().UsedBytes);
    }

    [Fact]
    public async Task Shutdown_WaitsForOpenLeases_ThenDisposesModels()
    {
        _loader.Define("a", 300);
        var lease = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        var shutdown = _manager.DisposeAsync().AsTask();
        Assert.False(shutdown.IsCompleted);
        Assert.False(_loader.Loaded["a"].Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _manager.AcquireAsync(Entry("a"), CancellationToken.None).AsTask());

        lease.Dispose();
        await shutdown;
        Assert.True(_loader.Loaded["a"].Disposed);
        Assert.Equal([(ModelEventKind.Unloaded, "a", UnloadReason.Shutdown)], Unloads());
    }

    [Fact]
    public async Task Shutdown_PastTheGracePeriod_DisposesAnyway()
    {
        _loader.Define("a", 300);
        using var stuck = await _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        var shutdown = _manager.DisposeAsync().AsTask();
        _time.Advance(TimeSpan.FromSeconds(10));
        await shutdown;

        Assert.True(_loader.Loaded["a"].Disposed);
    }

    [Fact]
    public async Task WarmAcquire_ReturnsSynchronously()
    {
        await UseAsync("a", 100);

        var acquire = _manager.AcquireAsync(Entry("a"), CancellationToken.None);

        Assert.True(acquire.IsCompletedSuccessfully);
        (await acquire).Dispose();
    }
}
