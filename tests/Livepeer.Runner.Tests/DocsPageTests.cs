using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests;

/// <summary>The ESRGAN x2 upscaler and nothing else: every other pipeline has no configured model.</summary>
public sealed class UpscaleOnlyRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
        [new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = false, path = TestPaths.Model("esrgan-slim", "x2") }];
}

/// <summary>/docs works offline; /openapi.json lists only the pipeline routes that can serve.</summary>
public sealed class DocsPageTests(UpscaleOnlyRunner runner) : IClassFixture<UpscaleOnlyRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    [Fact]
    public async Task Docs_NameNoExternalAddress()
    {
        var html = await _client.GetStringAsync("/docs/");

        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Docs_TurnOffCdnFontsTelemetryAndHostedButtons()
    {
        var html = await _client.GetStringAsync("/docs/");

        foreach (var setting in new[] { "\"withDefaultFonts\":false", "\"telemetry\":false", "\"hideClientButton\":true", "\"agent\":{\"disabled\":true}", "\"mcp\":{\"disabled\":true}" })
            Assert.Contains(setting, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Docs_ScriptBundle_IsServedByTheRunner()
    {
        using var response = await _client.GetAsync("/docs/scalar.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    [Fact]
    public async Task OpenApi_LeavesOutPipelinesWithoutAConfiguredModel()
    {
        var paths = await PathsAsync(_client);

        Assert.Contains("/upscale", paths);
        Assert.Contains("/health", paths);
        string[] unserved = ["/text-to-image", "/image-to-image", "/image-to-video", "/audio-to-text", "/segment-anything-2", "/llm", "/image-to-text", "/text-to-speech", "/v1/chat/completions", "/v1/models"];
        Assert.Equal([], unserved.Where(paths.Contains));
    }

    public static async Task<HashSet<string>> PathsAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/openapi.json")).RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
}

/// <summary>The standard models on a build whose registry has no video engine.</summary>
public sealed class NoVideoEngineRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() => RunnerHost.StandardModels();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(new EngineRegistry(EngineRegistry.Default.Engines.Where(e => e.Name != "video")));
}

/// <summary>Every pipeline configured; image-to-video has no engine in this registry.</summary>
public sealed class OpenApiEngineTests(NoVideoEngineRunner runner) : IClassFixture<NoVideoEngineRunner>
{
    [Fact]
    public async Task OpenApi_LeavesOutPipelinesWithoutAnEngine()
    {
        var paths = await DocsPageTests.PathsAsync(runner.Host.CreateClient());

        Assert.DoesNotContain("/image-to-video", paths);
        Assert.DoesNotContain("/live/image-to-video--stabilityai--stable-video-diffusion-img2vid-xt/image-to-video", paths);
        Assert.Contains("/text-to-image", paths);
        Assert.Contains("/live/text-to-image--SG161222--RealVisXL_V4.0_Lightning/text-to-image", paths);
    }
}
