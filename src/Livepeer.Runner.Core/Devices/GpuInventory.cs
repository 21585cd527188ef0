using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Core.Devices;

/// <summary>The machine's GPUs through NVML; empty lists when NVML is absent. Opened once, closed with the host.</summary>
public sealed class GpuInventory(ILogger<GpuInventory> logger) : IDisposable
{
    private readonly Lazy<Nvml?> _nvml = new(() => Nvml.TryOpen(logger));

    public IReadOnlyList<GpuInfo> Devices() => Query(nvml => nvml.Devices());

    public IReadOnlyList<GpuStats> Stats() => Query(nvml => nvml.Stats());

    private IReadOnlyList<T> Query<T>(Func<Nvml, IReadOnlyList<T>> query)
    {
        try
        {
            return _nvml.Value is { } nvml ? query(nvml) : [];
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        if (_nvml.IsValueCreated)
            _nvml.Value?.Dispose();
    }
}
