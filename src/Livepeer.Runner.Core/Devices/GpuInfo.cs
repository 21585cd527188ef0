namespace Livepeer.Runner.Core.Devices;

/// <summary>One GPU as NVML reports it; the shape ai-runner's /hardware routes return.</summary>
public sealed record GpuInfo(int Index, string Id, string Name, ulong MemoryTotal, ulong MemoryFree, int Major, int Minor);

/// <summary>A GPU's live utilisation, for /hardware/stats.</summary>
public sealed record GpuStats(int Index, string Id, string Name, ulong MemoryTotal, ulong MemoryFree, uint UtilizationCompute, uint UtilizationMemory);
