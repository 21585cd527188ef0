using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Core.Tests;

/// <summary>A device whose memory grows exactly by what the scripted loader loads.</summary>
internal sealed class FakeDeviceMemory : IDeviceMemory
{
    public long Used;

    public long UsedBytes() => Interlocked.Read(ref Used);

    public long? FreeBytes() => null;
}

internal sealed class FakeModel(FakeDeviceMemory memory, long bytes) : IDisposable
{
    public bool Disposed { get; private set; }

    public void Dispose()
    {
        if (!Disposed)
            Interlocked.Add(ref memory.Used, -bytes);
        Disposed = true;
    }
}

/// <summary>
/// A loader whose models have the sizes the test gives them (weights on disk; the load grows device memory by
/// the same amount unless told otherwise). Loads complete at once, or when the test releases them.
/// </summary>
internal sealed class ScriptedLoader(FakeDeviceMemory memory) : IModelLoader
{
    private readonly Dictionary<string, long> _weights = [];
    private readonly Dictionary<string, long> _growth = [];
    private readonly Dictionary<string, int> _calls = [];

    public Dictionary<string, TaskCompletionSource> Gates { get; } = [];

    public Queue<Exception> Failures { get; } = new();

    public Dictionary<string, FakeModel> Loaded { get; } = [];

    public void Define(string modelId, long weightBytes, long? growth = null)
    {
        _weights[modelId] = weightBytes;
        _growth[modelId] = growth ?? weightBytes;
    }

    public Dictionary<string, int> Concurrencies { get; } = [];

    /// <summary>Turns per model; unbounded unless a test sets one, so residency tests need not think about turns.</summary>
    public int Concurrency(ModelEntry entry) => Concurrencies.GetValueOrDefault(entry.ModelId, int.MaxValue);

    public int Calls(string modelId) { lock (_calls) return _calls.GetValueOrDefault(modelId); }

    public ModelFootprint Estimate(ModelEntry entry) => new(_weights[entry.ModelId], 0);

    public async Task<IDisposable> LoadAsync(ModelEntry entry, long memoryLimitBytes, CancellationToken cancellationToken)
    {
        lock (_calls)
            _calls[entry.ModelId] = _calls.GetValueOrDefault(entry.ModelId) + 1;
        if (Gates.TryGetValue(entry.ModelId, out var gate))
            await gate.Task;
        lock (Failures)
        {
            if (Failures.Count > 0)
                throw Failures.Dequeue();
        }

        var model = new FakeModel(memory, _growth[entry.ModelId]);
        Interlocked.Add(ref memory.Used, _growth[entry.ModelId]);
        lock (Loaded)
            Loaded[entry.ModelId] = model;
        return model;
    }
}
