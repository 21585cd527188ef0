using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests;

/// <summary>
/// Admission through HTTP on a 12 GiB CPU budget: the four tiny diffusion fixtures, stories260K with go-livepeer's
/// <c>capacity</c> of 4 and a bounded queue, and the tiny Whisper fixture with a short audio limit.
/// </summary>
public sealed class AdmissionRunner : ConfiguredRunner
{
    public const int MaxQueue = 20;

    private static string Tiny(string fixture) => TestPaths.Model("tiny", fixture);

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = "test/sd15", warm = false, path = Tiny("sd15") },
        new { pipeline = "text-to-image", model_id = "test/sdxl", warm = false, path = Tiny("sdxl") },
        new { pipeline = "image-to-image", model_id = "test/pix2pix", warm = false, path = Tiny("instruct-pix2pix") },
        new { pipeline = "upscale", model_id = "test/x4", warm = false, path = Tiny("sd-x4-upscaler") },
        new { pipeline = "llm", model_id = "karpathy/stories260K", warm = true, path = TestPaths.Asset("llm", "stories260K"), capacity = 4 },
        new { pipeline = "audio-to-text", model_id = "test/whisper", warm = false, path = Tiny("whisper-tiny") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
    [
        ("RUNNER_CPU_MEMORY_BYTES", (12L << 30).ToString(CultureInfo.InvariantCulture)),
        ("RUNNER_MAX_CONCURRENCY", "4"),
        ("RUNNER_MAX_QUEUE", MaxQueue.ToString(CultureInfo.InvariantCulture)),
        ("RUNNER_MAX_IMAGES_PER_REQUEST", "2"),
        ("RUNNER_MAX_AUDIO_SECONDS", "5"),
    ];
}

public sealed class AdmissionRouteTests(AdmissionRunner runner) : IClassFixture<AdmissionRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static double Sample(string metrics, string series) =>
        Regex.Matches(metrics, "^" + series + @"(?:\{[^}]*\})? (\S+)$", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    [Fact]
    public async Task FourDiffusionFixtures_CoReside_AndAllAnswer()
    {
        using (var sd15 = await _client.PostAsync("/text-to-image", Requests.Json("""{"prompt":"a fox","model_id":"test/sd15","width":64,"height":64,"num_inference_steps":2}""")))
            await sd15.ReadJsonAsync(HttpStatusCode.OK);
        using (var sdxl = await _client.PostAsync("/text-to-image", Requests.Json("""{"prompt":"a fox","model_id":"test/sdxl","width":64,"height":64,"num_inference_steps":2}""")))
            await sdxl.ReadJsonAsync(HttpStatusCode.OK);
        using (var pix2pix = await _client.PostAsync("/image-to-image", Requests.Form("image", Requests.Fixture, ("prompt", "snow"), ("model_id", "test/pix2pix"), ("num_inference_steps", "2"))))
            await pix2pix.ReadJsonAsync(HttpStatusCode.OK);
        using (var x4 = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "test/x4"), ("num_inference_steps", "2"))))
            await x4.ReadJsonAsync(HttpStatusCode.OK);

        using var stats = await _client.GetAsync("/hardware/stats");
        var json = await stats.ReadJsonAsync(HttpStatusCode.OK);
        var resident = json.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("model_id").GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "test/sd15", "test/sdxl", "test/pix2pix", "test/x4" }, resident.ToHashSet());
        var device = Assert.Single(json.GetProperty("devices").EnumerateArray());
        Assert.InRange(device.GetProperty("used_bytes").GetInt64() + device.GetProperty("reserved_activation_bytes").GetInt64(), 1, 12L << 30);
    }

    [Fact]
    public async Task ManyConcurrentRequests_EachGetsAReply_OkOrBusy_AndTheMetricsAgree()
    {
        const int requests = 200;
        var body = """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,"temperature":0}""";
        var replies = await Task.WhenAll(Enumerable.Range(0, requests).Select(async _ =>
        {
            using var response = await _client.PostAsync("/llm", Requests.Json(body));
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text);
        }));

        var ok = replies.Count(r => r.StatusCode == HttpStatusCode.OK);
        var busy = replies.Count(r => r.StatusCode == HttpStatusCode.InternalServerError && r.text.Contains("insufficient capacity", StringComparison.Ordinal));
        Assert.Equal(requests, ok + busy);
        Assert.True(ok >= 4 + AdmissionRunner.MaxQueue, $"{ok} answered: the running and queued requests are all served");

        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Equal(ok, Sample(metrics, @"livepeer_runner_requests_total\{pipeline=""llm"",model_id=""karpathy/stories260K"",status=""200""\}"));
        Assert.Equal(busy, Sample(metrics, "livepeer_runner_admission_rejections_total"));
        Assert.Equal(0, Sample(metrics, "livepeer_runner_queue_depth"));
        Assert.Equal(0, Sample(metrics, @"livepeer_runner_requests_in_flight\{pipeline=""llm"",model_id=""karpathy/stories260K"",device=""cpu""\}"));
    }

    [Fact]
    public async Task BillionSteps_IsRefusedAtOnce_InDiffusersWords()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json(
            """{"prompt":"a fox","model_id":"test/sd15","width":64,"height":64,"num_inference_steps":1000000000}"""));

        Assert.StartsWith("Error during model execution: `num_inference_steps`: 1000000000 cannot be larger than `self.config.train_timesteps`: 1000",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyImages_IsA400NamingTheSetting()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json(
            """{"prompt":"a fox","model_id":"test/sd15","width":64,"height":64,"num_images_per_prompt":3}"""));

        Assert.Contains("RUNNER_MAX_IMAGES_PER_REQUEST", await response.ReadErrorAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AudioLongerThanTheLimit_IsA400NamingTheSetting()
    {
        var jfk = await File.ReadAllBytesAsync(TestPaths.Asset("speech", "jfk.wav"));
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", jfk, ("model_id", "test/whisper")));

        Assert.Contains("RUNNER_MAX_AUDIO_SECONDS", await response.ReadErrorAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }
}

/// <summary>A client that gives up while its request waits in the queue leaves it at once, and the next request gets the turn.</summary>
public sealed class QueuedCancellationRouteTests(AdmissionRunner runner) : IClassFixture<AdmissionRunner>
{
    [Fact]
    public async Task ClientLeavingWhileQueued_FreesItsPlace()
    {
        var models = runner.Host.Services.GetRequiredService<Livepeer.Runner.Core.Models.ModelManager>();
        var catalog = runner.Host.Services.GetRequiredService<Livepeer.Runner.Core.Models.ModelCatalog>();
        var whisper = catalog.Resolve("audio-to-text", "test/whisper");
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStep(Livepeer.Runner.Core.Models.RequestEvent step)
        {
            if (step.Kind == Livepeer.Runner.Core.Models.RequestEventKind.Queued)
                queued.TrySetResult();
        }

        // Hold the Whisper model's only turn, as a running request would.
        var held = await models.AcquireAsync(whisper, CancellationToken.None);
        models.Requests += OnStep;
        try
        {
            using var client = runner.Host.CreateClient();
            using var leaving = new CancellationTokenSource();
            var speech = await File.ReadAllBytesAsync(TestPaths.Asset("speech", "jfk.wav"));
            var clip = speech[..(44 + (16_000 * 2 * 2))]; // the WAV header and about 2 s: under the 5 s limit
            var request = client.PostAsync("/audio-to-text", Requests.Form("audio", clip, ("model_id", "test/whisper")), leaving.Token);

            await queued.Task;
            Assert.Equal(1, models.Load().Queued);
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

            await WhenQueueEmptyAsync(models);
            Assert.Equal(0, models.Load().Queued);
        }
        finally
        {
            models.Requests -= OnStep;
            held.Dispose();
        }

        using var next = await runner.Host.CreateClient().PostAsync("/audio-to-text", Requests.Form("audio",
            (await File.ReadAllBytesAsync(TestPaths.Asset("speech", "jfk.wav")))[..(44 + (16_000 * 2 * 2))], ("model_id", "test/whisper")));
        await next.ReadJsonAsync(HttpStatusCode.OK);
    }

    /// <summary>The server side sees the client leave on its own schedule: wait for the queue's next change, not a clock.</summary>
    private static async Task WhenQueueEmptyAsync(Livepeer.Runner.Core.Models.ModelManager models)
    {
        var empty = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStep(Livepeer.Runner.Core.Models.RequestEvent step)
        {
            if (models.Load().Queued == 0)
                empty.TrySetResult();
        }

        models.Requests += OnStep;
        try
        {
            if (models.Load().Queued != 0)
                await empty.Task;
        }
        finally
        {
            models.Requests -= OnStep;
        }
    }
}
