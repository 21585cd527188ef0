using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Core.Devices;

/// <summary>
/// NVIDIA's management library, reached through P/Invoke when libnvidia-ml is on the machine (the NVIDIA container
/// runtime mounts it). Without it every query answers empty; no call here ever throws to a caller.
/// </summary>
public sealed unsafe partial class Nvml : IDisposable
{
    private const int Success = 0;
    private const int TextLength = 96;

    private readonly nint _library;
    private readonly delegate* unmanaged<int> _shutdown;
    private readonly delegate* unmanaged<uint*, int> _getCount;
    private readonly delegate* unmanaged<uint, nint*, int> _getHandle;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _getUuid;
    private readonly delegate* unmanaged<nint, byte*, uint, int> _getName;
    private readonly delegate* unmanaged<nint, MemoryInfo*, int> _getMemory;
    private readonly delegate* unmanaged<nint, int*, int*, int> _getComputeCapability;
    private readonly delegate* unmanaged<nint, Utilization*, int> _getUtilization;

    private Nvml(nint library)
    {
        _library = library;
        _shutdown = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "nvmlShutdown");
        _getCount = (delegate* unmanaged<uint*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetCount_v2");
        _getHandle = (delegate* unmanaged<uint, nint*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetHandleByIndex_v2");
        _getUuid = (delegate* unmanaged<nint, byte*, uint, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetUUID");
        _getName = (delegate* unmanaged<nint, byte*, uint, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetName");
        _getMemory = (delegate* unmanaged<nint, MemoryInfo*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetMemoryInfo");
        _getComputeCapability = (delegate* unmanaged<nint, int*, int*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetCudaComputeCapability");
        _getUtilization = (delegate* unmanaged<nint, Utilization*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetUtilizationRates");
    }

    /// <summary>Opens NVML, or returns null (and logs why) when the library is absent or will not initialise.</summary>
    public static Nvml? TryOpen(ILogger logger)
    {
        if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var library) && !NativeLibrary.TryLoad("nvml", out library))
        {
            LogUnavailable(logger, "libnvidia-ml.so.1 is not present");
            return null;
        }

        try
        {
            var init = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "nvmlInit_v2");
            var status = init();
            if (status != Success)
            {
                LogUnavailable(logger, $"nvmlInit_v2 returned {status}");
                NativeLibrary.Free(library);
                return null;
            }

            return new Nvml(library);
        }
        catch (EntryPointNotFoundException e)
        {
            LogUnavailable(logger, e.Message);
            NativeLibrary.Free(library);
            return null;
        }
    }

    public IReadOnlyList<GpuInfo> Devices()
    {
        var result = new List<GpuInfo>();
        foreach (var (index, device) in Handles())
        {
            MemoryInfo memory;
            int major, minor;
            if (_getMemory(device, &memory) != Success || _getComputeCapability(device, &major, &minor) != Success)
                continue;
            result.Add(new GpuInfo(index, Text(_getUuid, device), Text(_getName, device), memory.Total, memory.Free, major, minor));
        }

        return result;
    }

    public IReadOnlyList<GpuStats> Stats()
    {
        var result = new List<GpuStats>();
        foreach (var (index, device) in Handles())
        {
            MemoryInfo memory;
            Utilization utilization;
            if (_getMemory(device, &memory) != Success || _getUtilization(device, &utilization) != Success)
                continue;
            result.Add(new GpuStats(index, Text(_getUuid, device), Text(_getName, device), memory.Total, memory.Free, utilization.Gpu, utilization.Memory));
        }

        return result;
    }

    private List<(int Index, nint Handle)> Handles()
    {
        uint count;
        var handles = new List<(int, nint)>();
        if (_getCount(&count) != Success)
            return handles;
        for (uint i = 0; i < count; i++)
        {
            nint handle;
            if (_getHandle(i, &handle) == Success)
                handles.Add(((int)i, handle));
        }

        return handles;
    }

    private static string Text(delegate* unmanaged<nint, byte*, uint, int> query, nint device)
    {
        var buffer = stackalloc byte[TextLength];
        if (query(device, buffer, TextLength) != Success)
            return "";
        var span = new ReadOnlySpan<byte>(buffer, TextLength);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    public void Dispose()
    {
        _shutdown();
        NativeLibrary.Free(_library);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryInfo
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Utilization
    {
        public uint Gpu;
        public uint Memory;
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "NVML unavailable ({Reason}); GPU information will be empty")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
