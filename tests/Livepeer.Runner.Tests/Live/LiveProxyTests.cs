using System.Net;
using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// The runner registered dynamically with the stand-in orchestrator, and called through its single-shot proxy as a
/// gateway would: two models on one device, each with its own registration and capacity.
/// </summary>
public sealed class LiveProxyTests : IAsyncLifetime
{
    private const string Secret = "orch-secret-for-tests";
    private const string X4 = "upscale/upscalerjs/esrgan-slim-x4";
    private const string X2 = "upscale/upscalerjs/esrgan-slim-x2";

    private readonly string _dir = Directory.CreateTempSubdirectory("live-proxy-").FullName;
    private readonly LateHandler _upstream = new();
    private readonly CapturingLoggerProvider _logs = new();
    private FakeOrchestrator _orchestrator = null!;
    private RunnerHost _host = null!;
    private HttpClient _gateway = null!;
    private Dictionary<string, string> _ids = [];

    public async ValueTask InitializeAsync()
    {
        _orchestrator = await FakeOrchestrator.StartAsync(Secret, TimeProvider.System, _upstream);
        var esrgan = TestPaths.Model("esrgan-slim");
        var config = Path.Combine(_dir, "aiModels.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new object[]
        {
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x4", warm = true, path = Path.Combine(esrgan, "x4"), capacity = 2 },
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = false, path = Path.Combine(esrgan, "x2", "model.onnx"), capacity = 1 },
        }));
        var secretFile = Path.Combine(_dir, "orch-secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        _host = await RunnerHost.StartAsync(new Dictionary<string, string>
        {
            ["MODELS_CONFIG"] = config,
            ["RUNNER_EXECUTION_PROVIDER"] = "cpu",
            ["LIVE_RUNNER_ORCHESTRATOR"] = _orchestrator.Url.ToString(),
            ["LIVE_RUNNER_SECRET_FILE"] = secretFile,
            ["RUNNER_PUBLIC_URL"] = "http://runner.test:8000",
        }, services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs));
        _upstream.Inner = _host.Server.CreateHandler();
        _gateway = new HttpClient { BaseAddress = _orchestrator.Url };

        while (_ids.Count < 2)
        {
            var beat = await _orchestrator.NextBeatAsync();
            if (beat.Status == 200)
                _ids[beat.Field("app")!] = beat.RunnerId;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _gateway.Dispose();
        await _host.DisposeAsync();
        await _orchestrator.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<HttpResponseMessage> UpscaleAsync(string app) =>
        _gateway.PostAsync($"/apps/{_ids[app]}/app/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "a sharp photo"), ("seed", "3")));

    [Fact]
    public void EveryModel_RegistersAsAReadySingleShotRunner_WithItsCapacity()
    {
        var beats = _orchestrator.Beats.Where(b => b.Status == 200).GroupBy(b => b.Field("app")!).ToDictionary(g => g.Key, g => g.First());

        Assert.Equal("http://runner.test:8000/live/upscale--upscalerjs--esrgan-slim-x4", beats[X4].Field("runner_url"));
        Assert.Equal((2, "ready", "single-shot"), (beats[X4].Body.GetProperty("capacity").GetInt32(), beats[X4].Field("status"), beats[X4].Field("mode")));
        Assert.Equal(1, beats[X2].Body.GetProperty("capacity").GetInt32());
        Assert.All(beats.Values, b => Assert.Equal(Secret, b.Authorization));
    }

    [Fact]
    public async Task Requests_ThroughTheProxy_ReachTheirModel()
    {
        using var x4 = await UpscaleAsync(X4);
        using var x2 = await UpscaleAsync(X2);

        var four = await x4.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        var two = await x2.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        Assert.Equal(512, Width(four));
        Assert.Equal(256, Width(two));
        Assert.Contains(_orchestrator.Forwarded, f => f == (_ids[X4], "/live/upscale--upscalerjs--esrgan-slim-x4/upscale", 200));
        Assert.Equal(0, _orchestrator.ActiveSessions(_ids[X4]));
    }

    [Fact]
    public async Task BusyModel_IsTheRunners503_WhileTheProxyStillHadCapacity()
    {
        var models = _host.Services.GetRequiredService<ModelManager>();
        var x4 = _host.Services.GetRequiredService<ModelCatalog>().Resolve("upscale", "upscalerjs/esrgan-slim-x4");
        // Its one turn is taken, as by a request on the device; the registration still has a free slot of its two.
        using (await models.AcquireAsync(new LeaseRequest(x4, WhenBusy.Fail), CancellationToken.None))
        {
            using var busy = await UpscaleAsync(X4);
            var message = await busy.ReadErrorAsync(HttpStatusCode.ServiceUnavailable);
            Assert.StartsWith("insufficient capacity", message, StringComparison.Ordinal);
            Assert.Contains(_orchestrator.Forwarded, f => f.RunnerId == _ids[X4] && f.Status == 503);

            using var other = await UpscaleAsync(X2);
            await other.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        }

        using var again = await UpscaleAsync(X4);
        await again.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
    }

    [Fact]
    public async Task ProxyCapacity_IsTheProxysOwn503_AndFreesWhenTheRequestEnds()
    {
        var held = _upstream.Hold();
        var first = UpscaleAsync(X2);
        await held.Entered;

        using (var refused = await UpscaleAsync(X2))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("text/plain", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(FakeOrchestrator.NoCapacity, (await refused.Content.ReadAsStringAsync()).Trim());
        }

        held.Release();
        using (var response = await first)
            await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        using var next = await UpscaleAsync(X2);
        await next.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
    }

    [Fact]
    public async Task InjectedHeaders_LogTheSessionIdAsTheRequestId_AndNeverTheToken()
    {
        using var response = await UpscaleAsync(X4);
        await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");

        var token = Assert.Single(_orchestrator.SessionTokens);
        // The one request line (Information) carries the session id as its request id.
        Assert.Contains(_logs.Lines, l => l.Contains("request_id=session_", StringComparison.Ordinal)
            && l.Contains("route=/live/upscale--upscalerjs--esrgan-slim-x4/", StringComparison.Ordinal)
            && l.Contains("model_id=upscalerjs/esrgan-slim-x4", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains(Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => _orchestrator.HeartbeatSecretOf(_ids[X4]) is { } secret && l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_ThroughItsAbsoluteUrl_IsOk()
    {
        using var runner = new HttpClient(_host.Server.CreateHandler(), disposeHandler: true);
        using var response = await runner.GetAsync("http://runner.test:8000/live/upscale--upscalerjs--esrgan-slim-x2/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Shutdown_UnregistersEveryRegistration()
    {
        await _host.DisposeAsync();

        Assert.Equal(_ids.Values.Order(), _orchestrator.Unregistrations.Where(u => u.Status == 204).Select(u => u.RunnerId).Order());
        Assert.Empty(_orchestrator.RunnerIds);
    }

    private static int Width(JsonElement images)
    {
        var url = images.GetProperty("images")[0].GetProperty("url").GetString()!;
        return Pipelines.Media.ImageDecoder.Decode(Requests.DecodePngDataUrl(url), long.MaxValue).Width;
    }
}
