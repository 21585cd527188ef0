using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Core.Tests;

/// <summary><see cref="ModelManager.CanServe"/>: what a health check reads, without waiting on a model.</summary>
public sealed class ModelHealthTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeDeviceMemory _memory = new();
    private readonly ScriptedLoader _loader;
    private readonly ModelManager _manager;

    public ModelHealthTests()
    {
        _loader = new ScriptedLoader(_memory);
        _manager = new ModelManager(_loader, ComputeDevice.Cpu(1000), _memory, _time, new RunnerSettings(), NullLogger<ModelManager>.Instance);
    }

    public ValueTask DisposeAsync() => _manager.DisposeAsync();

    private static ModelEntry Entry(string id) => new("upscale", id, Warm: false);

    [Fact]
    public void NeverLoaded_CanServe()
    {
        _loader.Define("cold", 10);

        Assert.True(_manager.CanServe(Entry("cold")));
    }

    [Fact]
    public async Task InUseWithEveryTurnTaken_CanServe()
    {
        _loader.Define("busy", 10);
        _loader.Concurrencies["busy"] = 1;
        using var lease = await _manager.AcquireAsync(Entry("busy"), CancellationToken.None);

        Assert.True(_manager.CanServe(Entry("busy")));
    }

    [Fact]
    public async Task FailedLoad_CannotServeDuringItsBackOff_ThenCanAgain()
    {
        _loader.Define("broken", 10);
        _loader.Failures.Enqueue(new InvalidDataException("corrupt graph"));
        await Assert.ThrowsAnyAsync<Exception>(() => _manager.AcquireAsync(Entry("broken"), CancellationToken.None).AsTask());

        Assert.False(_manager.CanServe(Entry("broken")));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(_manager.CanServe(Entry("broken")));
    }

    [Fact]
    public async Task AfterShutdown_CannotServe()
    {
        _loader.Define("a", 10);
        await _manager.DisposeAsync();

        Assert.False(_manager.CanServe(Entry("a")));
    }
}
