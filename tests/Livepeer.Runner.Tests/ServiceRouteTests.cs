using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Livepeer.Runner.Tests;

/// <summary>/health, /version, /hardware/*, /metrics, /openapi.json and /docs (RUNNER-CONTRACT §3).</summary>
public sealed partial class ServiceRouteTests(ManyModelsRunner runner) : IClassFixture<ManyModelsRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/")]
    public async Task Health_IsOkOnceWarmModelsAreLoaded(string route)
    {
        using var response = await _client.GetAsync(route);
        Assert.Equal("""{"status":"OK"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Version_ReportsTheFirstModelAndASemver()
    {
        using var response = await _client.GetAsync("/version");
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "Version");
        Assert.Equal("upscale", json.GetProperty("pipeline").GetString());
        Assert.Equal("upscalerjs/esrgan-slim-x4", json.GetProperty("model_id").GetString());
        Assert.Matches(SemVer(), json.GetProperty("version").GetString());
    }

    [Fact]
    public async Task HardwareInfo_WithoutNvml_IsEmptyAndNamesTheExecutionProvider()
    {
        using var response = await _client.GetAsync("/hardware/info/");
        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("upscale", json.GetProperty("pipeline").GetString());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("gpu_info").ValueKind);
        Assert.Empty(json.GetProperty("gpu_info").EnumerateObject());
        Assert.Equal("CPUExecutionProvider", json.GetProperty("execution_provider").GetProperty("name").GetString());
    }

    [Fact]
    public async Task HardwareStats_ListsTheWarmModelPinned()
    {
        using var response = await _client.GetAsync("/hardware/stats");
        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(json.GetProperty("gpu_stats").EnumerateObject());
        var warm = json.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model_id").GetString() == "upscalerjs/esrgan-slim-x4");
        Assert.True(warm.GetProperty("pinned").GetBoolean());
        Assert.Equal("upscale", warm.GetProperty("pipeline").GetString());
    }

    [Fact]
    public async Task Metrics_CountRequestsPerPipelineAndModel()
    {
        using (await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "upscalerjs/esrgan-slim-x3"))))
        {
        }

        var text = await _client.GetStringAsync("/metrics");

        Assert.Matches(@"version\{app=""ai-runner"",version=""\d+\.\d+\.\d+[^""]*""\} 1", text);
        Assert.Matches(@"livepeer_runner_requests_total\{pipeline=""upscale"",model_id=""upscalerjs/esrgan-slim-x3"",status=""200""\} [1-9]", text);
        Assert.Contains("livepeer_runner_request_duration_seconds_bucket{pipeline=\"upscale\",model_id=\"upscalerjs/esrgan-slim-x3\"", text);
        Assert.Matches(@"livepeer_runner_model_loads_total\{pipeline=""upscale"",model_id=""upscalerjs/esrgan-slim-x4""\} 1", text);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryServedBatchRouteInSnakeCase()
    {
        var json = JsonDocument.Parse(await _client.GetStringAsync("/openapi.json")).RootElement;
        var paths = json.GetProperty("paths");
        foreach (var route in new[] { "/text-to-image", "/image-to-image", "/image-to-video", "/upscale", "/audio-to-text", "/segment-anything-2", "/llm", "/image-to-text", "/text-to-speech", "/health", "/version", "/hardware/info", "/hardware/stats" })
            Assert.True(paths.TryGetProperty(route, out _), route);

        var upscale = paths.GetProperty("/upscale").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        var text = upscale.ToString();
        Assert.Contains("\"model_id\"", text);
        Assert.Contains("\"binary\"", text);
    }

    [Fact]
    public async Task Docs_ServeAnHtmlPage()
    {
        using var response = await _client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
