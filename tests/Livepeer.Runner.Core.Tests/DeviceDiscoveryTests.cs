using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Tests;

public sealed class DeviceDiscoveryTests
{
    private const ulong GiB = 1UL << 30;

    private static readonly IReadOnlyList<GpuInfo> Gpus =
    [
        new(0, "GPU-aaaa-0000", "NVIDIA H100 80GB HBM3", 80 * GiB, 79 * GiB, 9, 0),
        new(1, "GPU-bbbb-1111", "NVIDIA L40S", 48 * GiB, 47 * GiB, 8, 9),
        new(2, "GPU-cccc-2222", "NVIDIA A10", 24 * GiB, 23 * GiB, 8, 6),
    ];

    private static Func<string, string?> Env(string? cuda = null, string? nvidia = null) =>
        name => name switch { "CUDA_VISIBLE_DEVICES" => cuda, "NVIDIA_VISIBLE_DEVICES" => nvidia, _ => null };

    [Fact]
    public void WithoutCuda_TheCpuDeviceHasTheConfiguredBudget()
    {
        var device = DeviceDiscovery.Select(new RunnerSettings { CpuMemoryBytes = 123 }, cuda: false, Gpus, Env());
        Assert.Equal(ComputeDevice.Cpu(123), device);
        Assert.Equal(123, device.BudgetBytes);
    }

    [Fact]
    public void WithCuda_TheDeviceIdCountsVisibleGpus_AndKeepsTheReserve()
    {
        var settings = new RunnerSettings { CudaDeviceId = 1, GpuReserveBytes = 1L << 30 };

        var device = DeviceDiscovery.Select(settings, cuda: true, Gpus, Env(cuda: "2,0"));

        Assert.Equal("cuda:1", device.Name);
        Assert.Equal("GPU-aaaa-0000", device.Uuid);
        Assert.Equal((long)(80 * GiB) - (1L << 30), device.BudgetBytes);
    }

    [Theory]
    [InlineData(null, null, new[] { 0, 1, 2 })]
    [InlineData("all", null, new[] { 0, 1, 2 })]
    [InlineData("1", null, new[] { 1 })]
    [InlineData("GPU-cccc,GPU-aaaa-0000", null, new[] { 2, 0 })]
    [InlineData(null, "GPU-bbbb-1111", new[] { 1 })]
    [InlineData("2,7,0", null, new[] { 2 })]
    [InlineData("", null, new int[0])]
    [InlineData(null, "void", new int[0])]
    [InlineData("0", "1", new[] { 0 })]
    public void VisibleGpus_FollowCudaVisibleDevicesThenTheContainerRuntime(string? cuda, string? nvidia, int[] expected)
    {
        var visible = DeviceDiscovery.Visible(Gpus, cuda ?? nvidia);
        Assert.Equal(expected, visible.Select(g => g.Index));
    }

    [Fact]
    public void DeviceIdBeyondTheVisibleGpus_FailsNamingThem()
    {
        var error = Assert.Throws<RunnerConfigurationException>(() =>
            DeviceDiscovery.Select(new RunnerSettings { CudaDeviceId = 1 }, cuda: true, Gpus, Env(cuda: "2")));
        Assert.Contains("NVIDIA A10 GPU-cccc-2222", error.Message);
    }
}
