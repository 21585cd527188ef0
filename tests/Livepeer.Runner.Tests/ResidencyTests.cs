using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The model manager with real ONNX Runtime sessions on the CPU device: the three ESRGAN-slim models under a
/// RUNNER_CPU_MEMORY_BYTES budget that fits two of them (each reserves its weights plus the upscale pipeline's
/// 256 MiB activation allowance).
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
    public async Task ThreeModelsInTheRoomOfTwo_AllServe_EvictingTheColdest_WithinTheBudget()
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
            var resident = stats.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("model_id").GetString()).ToList();
            Assert.True(resident.Count == Math.Min(step + 1, 2), stats.ToString());
            Assert.Contains($"upscalerjs/esrgan-slim-x{scale}", resident);
        }

        var metrics = await client.GetStringAsync("/metrics");
        // x2,x3 fit; then x4 evicts x2, x2 evicts x3, x3 evicts x4, x4 evicts x2: four evictions, six loads.
        Assert.Equal(4, Sum(metrics, "livepeer_runner_model_evictions_total"));
        Assert.Equal(6, Sum(metrics, "livepeer_runner_model_loads_total"));
        Assert.Matches(@"livepeer_runner_models_resident\{pipeline=""upscale"",model_id=""upscalerjs/esrgan-slim-x2"",device=""cpu""\} 0", metrics);
        Assert.Matches(@"livepeer_runner_models_resident\{pipeline=""upscale"",model_id=""upscalerjs/esrgan-slim-x4"",device=""cpu""\} 1", metrics);
        Assert.Matches(@$"livepeer_runner_device_memory_total_bytes\{{device=""cpu""\}} {Budget}", metrics);
        var used = double.Parse(Regex.Match(metrics, @"livepeer_runner_device_memory_used_bytes\{device=""cpu""\} (\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(used, 1, Budget);
    }

    private static double Sum(string metrics, string name) =>
        Regex.Matches(metrics, $@"^{name}\{{[^}}]*\}} (\S+)$", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
