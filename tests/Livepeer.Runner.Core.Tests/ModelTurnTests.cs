using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Core.Tests;

/// <summary>A model's concurrency is held by its leases: a lease is a turn, and a busy model is waited for or refused.</summary>
public sealed class ModelTurnTests : IAsyncDisposable
{
    private readonly FakeDeviceMemory _memory = new();
    private readonly ScriptedLoader _loader;
    private readonly ModelManager _manager;

    public ModelTurnTests()
    {
        _loader = new ScriptedLoader(_memory);
        _loader.Define("one", 100);
        _loader.Define("two", 100);
        _loader.Concurrencies["one"] = 1;
        _loader.Concurrencies["two"] = 2;
        var settings = new RunnerSettings { KeepAlive = TimeSpan.FromMinutes(5), LoadWaitTimeout = TimeSpan.FromSeconds(30), ShutdownGrace = TimeSpan.FromSeconds(10) };
        _manager = new ModelManager(_loader, ComputeDevice.Cpu(1000), _memory, new FakeTimeProvider(), settings, NullLogger<ModelManager>.Instance);
    }

    public ValueTask DisposeAsync() => _manager.DisposeAsync();

    private static LeaseRequest Request(string id, WhenBusy whenBusy) => new(new ModelEntry("upscale", id, Warm: false), whenBusy);

    [Fact]
    public async Task Acquire_WhenEveryTurnIsTaken_AndFailIsAsked_ThrowsBusyAtOnce()
    {
        using var held = await _manager.AcquireAsync(Request("one", WhenBusy.Wait), CancellationToken.None);

        var acquire = _manager.AcquireAsync(Request("one", WhenBusy.Fail), CancellationToken.None);

        var busy = await Assert.ThrowsAsync<ModelBusyException>(() => acquire.AsTask());
        Assert.Equal("one", busy.ModelId);
        Assert.Contains("insufficient capacity", busy.Message, StringComparison.Ordinal);
        Assert.Equal(1, Assert.Single(_manager.Snapshot().Models).Leases);
    }

    [Fact]
    public async Task Acquire_WhenEveryTurnIsTaken_Waits_UntilOneIsReturned()
    {
        var held = await _manager.AcquireAsync(Request("one", WhenBusy.Wait), CancellationToken.None);

        var waiting = _manager.AcquireAsync(Request("one", WhenBusy.Wait), CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        held.Dispose();
        using var next = await waiting;
        Assert.Equal("one", next.ModelId);
    }

    [Fact]
    public async Task Acquire_WaitingForATurn_Cancelled_LeavesTheLine()
    {
        using var held = await _manager.AcquireAsync(Request("one", WhenBusy.Wait), CancellationToken.None);
        using var leaving = new CancellationTokenSource();

        var waiting = _manager.AcquireAsync(Request("one", WhenBusy.Wait), leaving.Token).AsTask();
        await leaving.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, Assert.Single(_manager.Snapshot().Models).Leases);
    }

    [Fact]
    public async Task Acquire_GivesAsManyTurnsAsTheEngineRuns_ThenRefuses()
    {
        using var first = await _manager.AcquireAsync(Request("two", WhenBusy.Fail), CancellationToken.None);
        using var second = await _manager.AcquireAsync(Request("two", WhenBusy.Fail), CancellationToken.None);

        await Assert.ThrowsAsync<ModelBusyException>(() => _manager.AcquireAsync(Request("two", WhenBusy.Fail), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task ReturnedTurn_CanBeTakenAgain_WithoutWaiting()
    {
        (await _manager.AcquireAsync(Request("one", WhenBusy.Wait), CancellationToken.None)).Dispose();

        var again = _manager.AcquireAsync(Request("one", WhenBusy.Fail), CancellationToken.None);

        Assert.True(again.IsCompletedSuccessfully);
        (await again).Dispose();
    }

    [Fact]
    public async Task BusyModel_DoesNotHoldBackAnotherModel()
    {
        using var held = await _manager.AcquireAsync(Request("one", WhenBusy.Wait), CancellationToken.None);

        using var other = await _manager.AcquireAsync(Request("two", WhenBusy.Fail), CancellationToken.None);

        Assert.Equal("two", other.ModelId);
    }
}
