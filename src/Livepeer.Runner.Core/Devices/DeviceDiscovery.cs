using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Devices;

/// <summary>
/// Chooses the device models live on. With CUDA: the GPUs CUDA can see (CUDA_VISIBLE_DEVICES, else the
/// container runtime's NVIDIA_VISIBLE_DEVICES; entries are NVML indices or GPU UUIDs), ordered as CUDA numbers
/// them, so RUNNER_CUDA_DEVICE_ID picks the same GPU in ONNX Runtime and in NVML. Without CUDA: the CPU device.
/// </summary>
public static class DeviceDiscovery
{
    public static ComputeDevice Select(RunnerSettings settings, bool cuda, IReadOnlyList<GpuInfo> gpus, Func<string, string?> environment)
    {
        if (!cuda)
            return ComputeDevice.Cpu(settings.CpuMemoryBytes);

        var ordinal = settings.CudaDeviceId;
        if (gpus.Count == 0)
        {
            // CUDA without NVML: nothing reports the card's size, so the CPU budget setting stands in for it.
            return new ComputeDevice($"cuda:{ordinal}", DeviceKind.Gpu, settings.CpuMemoryBytes, 0, ordinal);
        }

        var visible = Visible(gpus, environment("CUDA_VISIBLE_DEVICES") ?? environment("NVIDIA_VISIBLE_DEVICES"));
        if (ordinal >= visible.Count)
            throw new RunnerConfigurationException(
                $"RUNNER_CUDA_DEVICE_ID={ordinal}, but CUDA sees {visible.Count} GPU(s): {string.Join(", ", visible.Select(g => $"{g.Name} {g.Id}"))}.");

        var gpu = visible[ordinal];
        return new ComputeDevice($"cuda:{ordinal}", DeviceKind.Gpu, (long)gpu.MemoryTotal, settings.GpuReserveBytes, ordinal, gpu.Id);
    }

    /// <summary>The GPUs a visibility list names, in the list's order (CUDA's ordinals); every GPU when unset.</summary>
    public static IReadOnlyList<GpuInfo> Visible(IReadOnlyList<GpuInfo> gpus, string? list)
    {
        var trimmed = list?.Trim();
        if (trimmed is null or "all")
            return gpus.OrderBy(g => g.Index).ToList();
        if (trimmed is "" or "none" or "void" or "NoDevFiles")
            return [];

        var result = new List<GpuInfo>();
        foreach (var token in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
                ? gpus.FirstOrDefault(g => g.Index == index)
                : gpus.FirstOrDefault(g => g.Id.StartsWith(token, StringComparison.OrdinalIgnoreCase));
            // CUDA stops at the first entry it cannot resolve; so do we.
            if (match is null)
                break;
            result.Add(match);
        }

        return result;
    }
}
