using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Core.Tests;

public sealed class ModelManagerTests
{
    private static readonly ModelEntry Model = new("upscale", "org/model", Warm: false);

    private readonly FakeTimeProvider _time = new();

    /// <summary>A loader whose loads complete only when the test says so.</summary>
    private sealed class ScriptedLoader : IModelLoader
    {
        public int Calls;
        public TaskCompletionSource<IDisposable> Next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<IDisposable> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Next.Task;
        }
    }

    private sealed class FakeModel : IDisposable
    {
        public bool Disposed;

        public void Dispose() => Disposed = true;
    }

    private ModelManager Manager(IModelLoader loader) => new(loader, _time, NullLogger<ModelManager>.Instance);

    [Fact]
    public async Task ConcurrentAcquiresOfAColdModel_LoadItOnce()
    {
        var loader = new ScriptedLoader();
        await using var manager = Manager(loader);

        var acquires = Enumerable.Range(0, 50).Select(_ => manager.AcquireAsync(Model, CancellationToken.None)).ToList();
        var model = new FakeModel();
        loader.Next.SetResult(model);
        var leases = await Task.WhenAll(acquires);

        Assert.Equal(1, loader.Calls);
        Assert.All(leases, lease => Assert.Same(model, lease.Model));
        Assert.Equal(50, Assert.Single(manager.Resident()).Leases);
        foreach (var lease in leases)
            lease.Dispose();
        Assert.Equal(0, Assert.Single(manager.Resident()).Leases);
    }

    [Fact]
    public async Task CancelledWaiter_DoesNotCancelTheSharedLoad()
    {
        var loader = new ScriptedLoader();
        await using var manager = Manager(loader);
        using var leaving = new CancellationTokenSource();

        var cancelled = manager.AcquireAsync(Model, leaving.Token);
        var staying = manager.AcquireAsync(Model, CancellationToken.None);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        loader.Next.SetResult(new FakeModel());
        using var lease = await staying;
        Assert.Equal(1, loader.Calls);
        Assert.Equal(1, Assert.Single(manager.Resident()).Leases);
    }

    [Fact]
    public async Task FailedLoad_FailsWaitersAndIsNotRetriedBeforeTheBackoff()
    {
        var loader = new ScriptedLoader();
        await using var manager = Manager(loader);
        var first = manager.AcquireAsync(Model, CancellationToken.None);
        loader.Next.SetException(new InvalidOperationException("corrupt graph"));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => first);
        Assert.Contains("org/model failed to load: corrupt graph", error.Message);

        await Assert.ThrowsAsync<ModelLoadException>(() => manager.AcquireAsync(Model, CancellationToken.None));
        Assert.Equal(1, loader.Calls);

        _time.Advance(TimeSpan.FromSeconds(5));
        loader.Next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        loader.Next.SetResult(new FakeModel());
        using var lease = await manager.AcquireAsync(Model, CancellationToken.None);
        Assert.Equal(2, loader.Calls);
    }

    [Fact]
    public async Task TypedLoadErrors_ReachTheCallerUnwrapped()
    {
        var loader = new ScriptedLoader();
        await using var manager = Manager(loader);
        loader.Next.SetException(new EngineUnavailableException("no engine"));

        var error = await Assert.ThrowsAsync<EngineUnavailableException>(() => manager.AcquireAsync(Model, CancellationToken.None));
        Assert.Equal("no engine", error.Message);
    }

    [Fact]
    public async Task WarmModels_ArePinned()
    {
        var loader = new ScriptedLoader();
        loader.Next.SetResult(new FakeModel());
        await using var manager = Manager(loader);

        await manager.WarmUpAsync([Model with { Warm = true }], CancellationToken.None);

        Assert.True(Assert.Single(manager.Resident()).Pinned);
    }

    [Fact]
    public async Task Dispose_ReleasesLoadedModels()
    {
        var loader = new ScriptedLoader();
        var model = new FakeModel();
        loader.Next.SetResult(model);
        var manager = Manager(loader);
        (await manager.AcquireAsync(Model, CancellationToken.None)).Dispose();

        await manager.DisposeAsync();

        Assert.True(model.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.AcquireAsync(Model, CancellationToken.None));
    }

    [Fact]
    public async Task LeaseDisposedTwice_ReleasesOnce()
    {
        var loader = new ScriptedLoader();
        loader.Next.SetResult(new FakeModel());
        await using var manager = Manager(loader);
        using var kept = await manager.AcquireAsync(Model, CancellationToken.None);
        var lease = await manager.AcquireAsync(Model, CancellationToken.None);

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(1, Assert.Single(manager.Resident()).Leases);
    }
}
