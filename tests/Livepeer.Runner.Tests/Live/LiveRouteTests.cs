using System.Net;
using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// Real models under their Live Runner prefixes: two upscalers, the stories260K LLM (one turn), and two models that
/// cannot serve (no files; no engine in this registry); a 2 MiB upload limit, and the <see cref="StreamGate"/> that
/// holds a streamed reply for a test.
/// </summary>
public sealed class LiveRunner : ConfiguredRunner
{
    public const long MaxUploadBytes = 2 * 1024 * 1024;

    public const string X4 = "/live/upscale--upscalerjs--esrgan-slim-x4";
    public const string X2 = "/live/upscale--upscalerjs--esrgan-slim-x2";
    public const string Llm = "/live/llm--karpathy--stories260K";
    public const string NoFiles = "/live/text-to-image--SG161222--RealVisXL_V4.0_Lightning";
    public const string NoEngine = "/live/image-to-video--stabilityai--stable-video-diffusion-img2vid-xt";

    public CapturingLoggerProvider Logs { get; } = new();

    public StreamGate Gate { get; } = new();

    protected override IEnumerable<object> Models()
    {
        var esrgan = TestPaths.Model("esrgan-slim");
        return
        [
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x4", warm = true, path = Path.Combine(esrgan, "x4"), capacity = 2 },
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = false, path = Path.Combine(esrgan, "x2", "model.onnx"), capacity = 2 },
            new { pipeline = "llm", model_id = "karpathy/stories260K", warm = false, path = TestPaths.Asset("llm", "stories260K"), capacity = 1 },
            new { pipeline = "text-to-image", model_id = "SG161222/RealVisXL_V4.0_Lightning", warm = false },
            new { pipeline = "image-to-video", model_id = "stabilityai/stable-video-diffusion-img2vid-xt", warm = false },
        ];
    }

    protected override IEnumerable<(string Name, string Value)> Settings() =>
        [("RUNNER_MAX_UPLOAD_BYTES", MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(Logs);
        services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(Gate);
        // A build without the video engine, so one registration has no engine to serve it.
        services.AddSingleton(new EngineRegistry(EngineRegistry.Default.Engines.Where(e => e.Name != "video")));
    }

    /// <summary>Takes every turn of a model, as requests running on it would; disposing gives them back.</summary>
    public async Task<IAsyncDisposable> OccupyAsync(string pipeline, string modelId)
    {
        var models = Host.Services.GetRequiredService<ModelManager>();
        var entry = Host.Services.GetRequiredService<ModelCatalog>().Resolve(pipeline, modelId);
        var leases = new List<ModelLease>();
        try
        {
            while (true)
                leases.Add(await models.AcquireAsync(new LeaseRequest(entry, WhenBusy.Fail), CancellationToken.None));
        }
        catch (ModelBusyException)
        {
        }

        return new Occupied(leases);
    }

    private sealed class Occupied(List<ModelLease> leases) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            foreach (var lease in leases)
                lease.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

public sealed class LiveRouteTests(LiveRunner runner) : IClassFixture<LiveRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static MultipartFormDataContent Upscale(string modelId = "") =>
        Requests.Form("image", Requests.Fixture, ("prompt", "a sharp photo"), ("model_id", modelId), ("seed", "7"));

    private static string Chat(bool stream, string model = "") =>
        $$"""{"messages":[{"role":"user","content":"Once upon a time"}],"model":"{{model}}","max_tokens":8,"temperature":0,"stream":{{(stream ? "true" : "false")}}}""";

    [Theory]
    [InlineData(LiveRunner.X4, "", 512)]
    [InlineData(LiveRunner.X4 + "/", "upscalerjs/esrgan-slim-x4", 512)]
    [InlineData(LiveRunner.X2, "", 256)]
    public async Task PipelineRoute_UnderThePrefix_HasTheBatchShapeAndItsModel(string prefix, string modelId, int size)
    {
        using var response = await _client.PostAsync(prefix.TrimEnd('/') + "/upscale", Upscale(modelId));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        var media = Assert.Single(json.GetProperty("images").EnumerateArray());
        Assert.Equal(7, media.GetProperty("seed").GetInt64());
        var image = Pipelines.Media.ImageDecoder.Decode(Requests.DecodePngDataUrl(media.GetProperty("url").GetString()!), long.MaxValue);
        Assert.Equal((size, size), (image.Width, image.Height));
    }

    [Fact]
    public async Task AnotherModelId_IsTheContracts400()
    {
        using var response = await _client.PostAsync(LiveRunner.X4 + "/upscale", Upscale("upscalerjs/esrgan-slim-x2"));

        var message = await response.ReadErrorAsync(HttpStatusCode.BadRequest);
        Assert.Contains("upscalerjs/esrgan-slim-x2", message, StringComparison.Ordinal);
        Assert.Contains("upscalerjs/esrgan-slim-x4", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LiveRunner.X4 + "/text-to-image")]
    [InlineData(LiveRunner.X4 + "/v1/chat/completions")]
    [InlineData("/live/upscale--nobody--none/upscale")]
    public async Task RoutesOfOtherPipelinesOrLabels_AreNotServed(string route)
    {
        using var response = await _client.PostAsync(route, Requests.Json("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task BusyModel_Is503WithAShortJsonBody_WhileOtherModelsServe()
    {
        await using (await runner.OccupyAsync("upscale", "upscalerjs/esrgan-slim-x4"))
        {
            using var busy = await _client.PostAsync(LiveRunner.X4 + "/upscale", Upscale());
            var message = await busy.ReadErrorAsync(HttpStatusCode.ServiceUnavailable);
            Assert.StartsWith("insufficient capacity", message, StringComparison.Ordinal);
            Assert.True(message.Length < 200);
            Assert.Equal("1", busy.Headers.RetryAfter?.ToString());

            // go-livepeer polls health with a 3 s client timeout; the route never waits on a model or a queue.
            using var healthTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var health = await _client.GetAsync(LiveRunner.X4 + "/health", healthTimeout.Token);
            Assert.Equal("OK", (await health.ReadValidJsonAsync(HttpStatusCode.OK, "HealthCheck")).GetProperty("status").GetString());

            using var other = await _client.PostAsync(LiveRunner.X2 + "/upscale", Upscale());
            await other.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        }

        using var again = await _client.PostAsync(LiveRunner.X4 + "/upscale", Upscale());
        await again.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
    }

    [Theory]
    [InlineData(LiveRunner.X4)]
    [InlineData(LiveRunner.X2)]
    [InlineData(LiveRunner.Llm)]
    public async Task Health_IsOk_WhenTheModelIsLoadedOrCanBeLoaded(string prefix)
    {
        using var response = await _client.GetAsync(prefix + "/health");

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "HealthCheck");
        Assert.Equal("OK", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_Is503_WithoutAnEngineForThePipeline()
    {
        using var response = await _client.GetAsync(LiveRunner.NoEngine + "/health");

        var json = await response.ReadValidJsonAsync(HttpStatusCode.ServiceUnavailable, "HealthCheck");
        Assert.Equal("ERROR", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task LlmStream_UnderThePrefix_IsSseOfValidChunks()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, LiveRunner.Llm + "/llm") { Content = Requests.Json(Chat(stream: true)) };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentLength);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.All(events[..^1], e => ContractSchemas.AssertValid("LLMResponse", JsonDocument.Parse(e["data: ".Length..]).RootElement));
    }

    [Fact]
    public async Task LlmOpenAiRoutes_UnderThePrefix_ServeTheirModelOnly()
    {
        using var models = await _client.GetAsync(LiveRunner.Llm + "/v1/models");
        var list = await models.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("karpathy/stories260K", Assert.Single(list.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());

        using var completion = await _client.PostAsync(LiveRunner.Llm + "/v1/chat/completions", Requests.Json(Chat(stream: false, "karpathy/stories260K")));
        var json = await completion.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.Equal("karpathy/stories260K", json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task InjectedAndClientHeaders_AreTolerated_AndOnlyTheSessionIdIsLogged()
    {
        const string token = "tok-9f8e7d6c5b4a39281706";
        using var request = new HttpRequestMessage(HttpMethod.Post, LiveRunner.X4 + "/upscale") { Content = Upscale() };
        request.Headers.Add("Livepeer-Runner-Route", "runner_abcd1234");
        request.Headers.Add("Livepeer-Session-Id", "session_live0001");
        request.Headers.Add("Livepeer-Session-Token", token);
        request.Headers.Add("Livepeer-Session-Control", "https://orch:8935/runner/runner_abcd1234/session/session_live0001");
        request.Headers.Add("Livepeer-Payment", "cGF5bWVudA==");
        request.Headers.Add("Livepeer-Segment", "c2VnbWVudA==");
        request.Headers.Add("Livepeer-Payer-Address", "0x0000000000000000000000000000000000000001");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer client-token");
        request.Headers.Host = "localhost";

        using var response = await _client.SendAsync(request);

        await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        Assert.Contains(runner.Logs.Lines, l => l.Contains("request_id=session_live0001", StringComparison.Ordinal));
        Assert.DoesNotContain(runner.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
    }
}
