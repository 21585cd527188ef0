using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The model manager with real ONNX Runtime sessions on the CPU device: the three ESRGAN-slim models under a small
/// RUNNER_CPU_MEMORY_BYTES budget, where each request reserves the upscale engine's 256 MiB of tiles beside the resident
/// weights (measured as the process's memory growth, so how many stay resident depends on the machine; the
/// deterministic eviction order is tested with scripted models in the Core tests).
/// </summary>
public sealed class ResidencyTests : IAsyncLifetime
{
    private const long Budget = 700L << 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("residency-").FullName;
    private RunnerHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var esrgan = TestPaths.Model("esrgan-slim");
        var config = Path.Combine(_dir, "aiModels.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new[] { 2, 3, 4 }.Select(scale =>
            new { pipeline = "upscale", model_id = $"upscalerjs/esrgan-slim-x{scale}", warm = false, path = Path.Combine(esrgan, $"x{scale}") })));
        _host = await RunnerHost.StartAsync(new Dictionary<string, string>
        {
            ["MODELS_CONFIG"] = config,
            ["RUNNER_CPU_MEMORY_BYTES"] = Budget.ToString(CultureInfo.InvariantCulture),
            ["RUNNER_EXECUTION_PROVIDER"] = "cpu",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ThreeModels_AllServe_WithinTheBudget_AndTheLedgerAddsUp()
    {
        var client = _host.CreateClient();
        int[] sequence = [2, 3, 4, 2, 3, 4];
        for (var step = 0; step < sequence.Length; step++)
        {
            var scale = sequence[step];
            using var response = await client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", $"upscalerjs/esrgan-slim-x{scale}")));
            var image = (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("images")[0].GetProperty("url").GetString()!;
            Assert.Equal(128 * scale * 128 * scale * 3, Livepeer.Runner.Pipelines.Media.ImageDecoder.Decode(Requests.DecodePngDataUrl(image), long.MaxValue).Pixels.Length);

            var stats = await (await client.GetAsync("/hardware/stats")).ReadJsonAsync(HttpStatusCode.OK);
            var device = Assert.Single(stats.GetProperty("devices").EnumerateArray());
            Assert.Equal("cpu", device.GetProperty("name").GetString());
            Assert.Equal(Budget, device.GetProperty("budget_bytes").GetInt64());
            Assert.InRange(device.GetProperty("used_bytes").GetInt64(), 1, Budget);
            Assert.Equal(0, device.GetProperty("reserved_activation_bytes").GetInt64());
            Assert.Equal(0, device.GetProperty("running").GetInt32());
            var resident = stats.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("model_id").GetString()).ToList();
            Assert.InRange(resident.Count, 1, Math.Min(step + 1, 3));
            Assert.Contains($"upscalerjs/esrgan-slim-x{scale}", resident);
        }

        var metrics = await client.GetStringAsync("/metrics");
        var residentNow = Regex.Count(metrics, @"^livepeer_runner_models_resident\{[^}]*\} 1$", RegexOptions.Multiline);
        Assert.Equal(residentNow, Sum(metrics, "livepeer_runner_model_loads_total") - Sum(metrics, "livepeer_runner_model_evictions_total"));
        Assert.Matches(@"livepeer_runner_models_resident\{pipeline=""upscale"",model_id=""upscalerjs/esrgan-slim-x4"",device=""cpu""\} 1", metrics);
        Assert.Matches(@$"livepeer_runner_device_memory_total_bytes\{{device=""cpu""\}} {Budget}", metrics);
        var used = double.Parse(Regex.Match(metrics, @"livepeer_runner_device_memory_used_bytes\{device=""cpu""\} (\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(used, 1, Budget);
    }

    private static double Sum(string metrics, string name) =>
        Regex.Matches(metrics, $@"^{name}\{{[^}}]*\}} (\S+)$", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
