using System.Diagnostics;

namespace Livepeer.Runner.Core.Devices;

/// <summary>What the system reports about a device's memory: used to measure a model's real footprint across its load.</summary>
public interface IDeviceMemory
{
    /// <summary>Bytes in use now: NVML's used memory on a GPU, this process's resident set on the CPU.</summary>
    long UsedBytes();

    /// <summary>Bytes free as the driver sees them (other processes included), or null where only the ledger can tell.</summary>
    long? FreeBytes();
}

/// <summary>The CPU device: this process's resident memory.</summary>
public sealed class ProcessMemory : IDeviceMemory
{
    public long UsedBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    public long? FreeBytes() => null;
}

/// <summary>A GPU, read through NVML by UUID.</summary>
public sealed class GpuMemory(GpuInventory gpus, string uuid) : IDeviceMemory
{
    public long UsedBytes() => Find() is { } gpu ? (long)(gpu.MemoryTotal - gpu.MemoryFree) : 0;

    public long? FreeBytes() => Find() is { } gpu ? (long)gpu.MemoryFree : null;

    private GpuInfo? Find() => gpus.Devices().FirstOrDefault(g => g.Id == uuid);
}
