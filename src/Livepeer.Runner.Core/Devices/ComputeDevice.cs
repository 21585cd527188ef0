namespace Livepeer.Runner.Core.Devices;

public enum DeviceKind
{
    Cpu,
    Gpu,
}

/// <summary>
/// The device the runner's models live on, with the memory the model manager may hand out: the total less a
/// reserve (CUDA context, other processes). A CPU device's total is the RUNNER_CPU_MEMORY_BYTES budget.
/// </summary>
/// <param name="Name">"cpu" or "cuda:&lt;ordinal&gt;", as metrics and /hardware/stats label it.</param>
/// <param name="CudaOrdinal">The CUDA device ordinal ONNX Runtime is given.</param>
/// <param name="Uuid">NVML's UUID, which ties the CUDA ordinal to the NVML device whatever their orders.</param>
public sealed record ComputeDevice(string Name, DeviceKind Kind, long TotalBytes, long ReserveBytes, int? CudaOrdinal = null, string? Uuid = null)
{
    public long BudgetBytes => Math.Max(0, TotalBytes - ReserveBytes);

    public static ComputeDevice Cpu(long budgetBytes) => new("cpu", DeviceKind.Cpu, budgetBytes, 0);
}
