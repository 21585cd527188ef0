using System.Text.Json;
using Livepeer.Runner.Live;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// The runner registered dynamically with the stand-in orchestrator on a fake clock, reached through its proxy: the
/// stories260K LLM (one turn) and the ESRGAN x2 upscaler, one request at a time on the device (RUNNER_MAX_CONCURRENCY,
/// the limit across registrations go-livepeer cannot see), a 2 MiB upload limit, and the <see cref="StreamGate"/>.
/// The heartbeat loops are watched from their construction, so a test knows when every loop waits for its next beat
/// and moves the clock by exactly that wait.
/// </summary>
public sealed class ProxiedRunner : IAsyncLifetime
{
    public const string Secret = "orch-secret-for-streaming-tests";
    public const string Llm = "llm/karpathy/stories260K";
    public const string X2 = "upscale/upscalerjs/esrgan-slim-x2";

    private readonly string _dir = Directory.CreateTempSubdirectory("live-stream-").FullName;
    private readonly LateHandler _upstream = new();
    private readonly List<SleepCount> _sleeps = [];
    private int _round;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public StreamGate Gate { get; } = new();

    internal FakeOrchestrator Orchestrator { get; private set; } = null!;

    public RunnerHost Host { get; private set; } = null!;

    internal LiveRegistrar Registrar { get; private set; } = null!;

    /// <summary>The gateway's client: it reaches the runner only through the stand-in's proxy.</summary>
    public HttpClient Gateway { get; private set; } = null!;

    /// <summary>Runner ids by app.</summary>
    public Dictionary<string, string> Ids { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Orchestrator = await FakeOrchestrator.StartAsync(Secret, Time, _upstream);
        var esrgan = TestPaths.Model("esrgan-slim");
        var config = Path.Combine(_dir, "aiModels.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new object[]
        {
            new { pipeline = "llm", model_id = "karpathy/stories260K", warm = false, path = TestPaths.Asset("llm", "stories260K"), capacity = 1 },
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = false, path = Path.Combine(esrgan, "x2", "model.onnx"), capacity = 1 },
        }));
        Host = await RunnerHost.StartAsync(new Dictionary<string, string>
        {
            ["MODELS_CONFIG"] = config,
            ["RUNNER_EXECUTION_PROVIDER"] = "cpu",
            ["RUNNER_MAX_CONCURRENCY"] = "1",
            ["RUNNER_MAX_UPLOAD_BYTES"] = LiveRunner.MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LIVE_RUNNER_ORCHESTRATOR"] = Orchestrator.Url.ToString(),
            ["LIVE_RUNNER_SECRET"] = Secret,
            ["RUNNER_PUBLIC_URL"] = "http://runner.test:8000",
        }, services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(Gate);
            var registrar = services.Single(d => d.ServiceType == typeof(LiveRegistrar));
            services.Remove(registrar);
            services.AddSingleton(provider =>
            {
                var built = (LiveRegistrar)registrar.ImplementationFactory!(provider);
                foreach (var heartbeat in built.Heartbeats)
                {
                    var count = new SleepCount(heartbeat);
                    heartbeat.Sleeping += _ => count.Slept();
                    _sleeps.Add(count);
                }

                return built;
            });
        });
        _upstream.Inner = Host.Server.CreateHandler();
        Registrar = Host.Services.GetRequiredService<LiveRegistrar>();
        Gateway = new HttpClient { BaseAddress = Orchestrator.Url };
        while (Ids.Count < 2)
        {
            var beat = await Orchestrator.NextBeatAsync();
            if (beat.Status == 200)
                Ids[beat.Field("app")!] = beat.RunnerId;
        }
    }

    internal LiveHeartbeat Heartbeat(string app) => Registrar.Heartbeats.Single(h => h.Registration.App == app);

    /// <summary>Once every loop waits for its next beat, moves the clock by the interval: each loop beats once.</summary>
    public async Task AdvanceToNextBeatsAsync()
    {
        foreach (var sleep in _sleeps)
            await sleep.AtLeastAsync(_round + 1);
        Time.Advance(LiveHeartbeat.DefaultInterval);
        _round++;
    }

    /// <summary>Completes once a loop has handled the reply to its latest beat (it waits for the next one).</summary>
    public Task HandledAsync(string app) => _sleeps.Single(s => s.Heartbeat.Registration.App == app).AtLeastAsync(_round + 1);

    /// <summary>The next beat of one registration (other registrations' beats are passed over).</summary>
    internal async Task<FakeOrchestrator.Beat> NextBeatOfAsync(string app)
    {
        while (true)
        {
            var beat = await Orchestrator.NextBeatAsync();
            if (beat.RunnerId == Ids[app])
                return beat;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gateway.Dispose();
        await Host.DisposeAsync();
        await Orchestrator.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>How many waits a heartbeat loop has begun, awaitable.</summary>
    private sealed class SleepCount(LiveHeartbeat heartbeat)
    {
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _count;

        public LiveHeartbeat Heartbeat { get; } = heartbeat;

        public void Slept()
        {
            lock (_waiters)
            {
                _count++;
                foreach (var waiter in _waiters.Where(w => w.Count <= _count).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        public Task AtLeastAsync(int count)
        {
            lock (_waiters)
            {
                if (_count >= count)
                    return Task.CompletedTask;
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task.WaitAsync(StreamGate.HangGuard);
            }
        }
    }
}
