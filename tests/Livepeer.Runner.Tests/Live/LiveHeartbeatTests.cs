using System.Threading.Channels;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Live;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// Dynamic registration against the stand-in orchestrator on loopback, on a fake clock: the loop says when its wait
/// for the next beat has begun, and the test then moves the clock by exactly that wait. No sleeps.
/// </summary>
public sealed class LiveHeartbeatTests : IAsyncLifetime
{
    private const string Secret = "orch-s3cret";
    private static readonly Uri PublicUrl = new("http://runner.test:8000");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Channel<TimeSpan> _sleeps = Channel.CreateUnbounded<TimeSpan>();
    private readonly CapturingLoggerProvider _logs = new();
    private FakeOrchestrator _orchestrator = null!;
    private LiveRegistrar? _registrar;
    private readonly LiveSessions _sessions = new();
    private bool _ready = true;

    private static readonly LiveRegistration Registration = new(
        new ModelEntry("text-to-image", "SG161222/RealVisXL_V4.0_Lightning", Warm: false, Capacity: 2, Price: new LivePrice(0.5m, "hour")),
        "text-to-image--SG161222--RealVisXL_V4.0_Lightning");

    public async ValueTask InitializeAsync() =>
        _orchestrator = await FakeOrchestrator.StartAsync(Secret, _time, new SocketsHttpHandler());

    /// <summary>Starts the registrar: its first beat goes out at once.</summary>
    private async Task StartAsync()
    {
        var settings = new LiveRunnerSettings(_orchestrator.Url, Secret, PublicUrl, TlsInsecure: false);
        var advert = new LiveAdvert(PublicUrl, "1.2.3", new LiveGpu("GPU-1234", "NVIDIA H100", 81559));
        _registrar = new LiveRegistrar(settings, [Registration], advert, _ => _ready, _sessions, _time, _logs.CreateLogger("live"));
        _registrar.Heartbeats[0].Sleeping += delay => _sleeps.Writer.TryWrite(delay);
        await _registrar.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        _registrar?.Dispose();
        await _orchestrator.DisposeAsync();
    }

    /// <summary>Waits until the loop sleeps, then moves the fake clock by its whole wait.</summary>
    private async Task<TimeSpan> AdvanceToNextBeatAsync()
    {
        var delay = await NextSleepAsync();
        _time.Advance(delay);
        return delay;
    }

    /// <summary>The loop's next wait (bounded, so a broken loop fails rather than hangs).</summary>
    private async Task<TimeSpan> NextSleepAsync() => await _sleeps.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task FirstBeat_BootstrapsWithTheRawSecretAndTheFullBody()
    {
        await StartAsync();
        var beat = await _orchestrator.NextBeatAsync();

        Assert.True(beat.Bootstrap);
        Assert.Equal(200, beat.Status);
        Assert.Equal(Secret, beat.Authorization);
        Assert.Equal(Registration.RunnerId(PublicUrl), beat.RunnerId);
        Assert.DoesNotContain('/', beat.RunnerId);
        Assert.Equal("http://runner.test:8000/live/text-to-image--SG161222--RealVisXL_V4.0_Lightning", beat.Field("runner_url"));
        Assert.Equal("text-to-image/SG161222/RealVisXL_V4.0_Lightning", beat.Field("app"));
        Assert.Equal("single-shot", beat.Field("mode"));
        Assert.Equal("ready", beat.Field("status"));
        Assert.Equal("1.2.3", beat.Field("version"));
        Assert.Equal(2, beat.Body.GetProperty("capacity").GetInt32());
        Assert.Equal(0.5m, beat.Body.GetProperty("price_info").GetProperty("price").GetDecimal());
        Assert.Equal("usd", beat.Body.GetProperty("price_info").GetProperty("currency").GetString());
        Assert.Equal("hour", beat.Body.GetProperty("price_info").GetProperty("unit").GetString());
        Assert.Equal("NVIDIA H100", beat.Body.GetProperty("gpu").GetProperty("name").GetString());
        Assert.Equal(81559, beat.Body.GetProperty("gpu").GetProperty("vram_mb").GetInt32());
    }

    [Fact]
    public async Task LaterBeats_UseTheHeartbeatSecretAndRepeatTheWholeBody()
    {
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        await AdvanceToNextBeatAsync();
        var second = await _orchestrator.NextBeatAsync();

        Assert.False(second.Bootstrap);
        Assert.Equal(200, second.Status);
        Assert.Equal(_orchestrator.HeartbeatSecretOf(first.RunnerId), second.Authorization);
        Assert.NotEqual(Secret, second.Authorization);
        Assert.Equal(first.Body.GetRawText(), second.Body.GetRawText());
    }

    [Fact]
    public async Task Beats_AreNeverMoreThanTheTtlApart()
    {
        await StartAsync();
        var beats = new List<FakeOrchestrator.Beat> { await _orchestrator.NextBeatAsync() };
        for (var i = 0; i < 12; i++)
        {
            await AdvanceToNextBeatAsync();
            beats.Add(await _orchestrator.NextBeatAsync());
        }

        Assert.All(beats, b => Assert.Equal(200, b.Status));
        Assert.All(beats.Zip(beats.Skip(1)), pair => Assert.InRange(pair.Second.At - pair.First.At, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20)));
        Assert.Equal(TimeSpan.FromSeconds(5 * 12), beats[^1].At - beats[0].At);
    }

    [Fact]
    public async Task ExpiredRunner_ReBootstrapsWithTheSameIdOnceSwept()
    {
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        _orchestrator.Expire(first.RunnerId);
        await AdvanceToNextBeatAsync();

        Assert.Equal(404, (await _orchestrator.NextBeatAsync()).Status);
        var bootstrapBeforeSweep = await _orchestrator.NextBeatAsync();
        Assert.Equal((true, 404), (bootstrapBeforeSweep.Bootstrap, bootstrapBeforeSweep.Status));

        _orchestrator.Sweep();
        var wait = await AdvanceToNextBeatAsync();
        var again = await _orchestrator.NextBeatAsync();

        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.True(again.Bootstrap);
        Assert.Equal(200, again.Status);
        Assert.Equal(first.RunnerId, again.RunnerId);
    }

    [Fact]
    public async Task SweptRunner_ReBootstrapsAtOnceWithTheSameId()
    {
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        _orchestrator.Forget(first.RunnerId);
        await AdvanceToNextBeatAsync();

        var refused = await _orchestrator.NextBeatAsync();
        var again = await _orchestrator.NextBeatAsync();

        Assert.Equal(401, refused.Status);
        Assert.True(again.Bootstrap);
        Assert.Equal(200, again.Status);
        Assert.Equal(Secret, again.Authorization);
        Assert.Equal(first.RunnerId, again.RunnerId);
        Assert.Equal(refused.At, again.At);

        await AdvanceToNextBeatAsync();
        var next = await _orchestrator.NextBeatAsync();
        Assert.Equal(200, next.Status);
        Assert.Equal(_orchestrator.HeartbeatSecretOf(first.RunnerId), next.Authorization);
    }

    [Fact]
    public async Task BadRequest_IsAConfigurationError_RetriedSlowly()
    {
        _orchestrator.RefuseWith = "price_info is required on-chain";
        await StartAsync();
        var refused = await _orchestrator.NextBeatAsync();
        var wait = await AdvanceToNextBeatAsync();
        var again = await _orchestrator.NextBeatAsync();

        Assert.Equal((400, 400), (refused.Status, again.Status));
        Assert.Equal(LiveHeartbeat.ConfigurationRetry, wait);
        Assert.Contains(_logs.Lines, l => l.Contains("configuration error", StringComparison.Ordinal) && l.Contains("price_info is required on-chain", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnreachableOrchestrator_IsRetriedWithABackOffThatNeverExceedsTheInterval()
    {
        await _orchestrator.DisposeAsync();
        await StartAsync();

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
            waits.Add(await AdvanceToNextBeatAsync());

        Assert.Equal([1, 2, 4, 5, 5], waits.Select(w => w.TotalSeconds));
        Assert.Contains(_logs.Lines, l => l.Contains("heartbeat for app=text-to-image/SG161222/RealVisXL_V4.0_Lightning failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StatusIsUnavailable_WhileTheModelCannotServe()
    {
        await StartAsync();
        await _orchestrator.NextBeatAsync();
        _ready = false;
        await AdvanceToNextBeatAsync();
        Assert.Equal("unavailable", (await _orchestrator.NextBeatAsync()).Field("status"));

        _ready = true;
        await AdvanceToNextBeatAsync();
        Assert.Equal("ready", (await _orchestrator.NextBeatAsync()).Field("status"));
    }

    [Fact]
    public async Task Shutdown_UnregistersWithTheHeartbeatSecret()
    {
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        var secret = _orchestrator.HeartbeatSecretOf(first.RunnerId);
        await NextSleepAsync();

        await _registrar!.StoppingAsync(CancellationToken.None);

        var unregistered = Assert.Single(_orchestrator.Unregistrations);
        Assert.Equal((first.RunnerId, secret, 204), unregistered);
        Assert.Empty(_orchestrator.RunnerIds);
    }

    [Fact]
    public async Task ReturnedOrchestratorUrl_TakesTheLaterBeats()
    {
        _orchestrator.ReturnedOrchestrator = _orchestrator.RunnerFacingUrl;
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        await AdvanceToNextBeatAsync();
        var second = await _orchestrator.NextBeatAsync();
        await NextSleepAsync();

        Assert.Equal((_orchestrator.Url.Port, true), (first.Port, first.Bootstrap));
        Assert.Equal((_orchestrator.RunnerFacingUrl.Port, false, 200), (second.Port, second.Bootstrap, second.Status));
        Assert.Equal(_orchestrator.RunnerFacingUrl, _registrar!.Heartbeats[0].Orchestrator);
        Assert.Contains(_logs.Lines, l => l.Contains("later beats go to " + _orchestrator.RunnerFacingUrl.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnreachableReturnedUrl_GivesWayToTheConfiguredOne_AndIsNotFollowedAgain()
    {
        // Port 1 on loopback refuses connections: an orchestrator whose -liveRunnerAddr the runner cannot reach.
        _orchestrator.ReturnedOrchestrator = new Uri("http://127.0.0.1:1");
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        await AdvanceToNextBeatAsync();
        var backOff = await AdvanceToNextBeatAsync();
        var second = await _orchestrator.NextBeatAsync();
        await AdvanceToNextBeatAsync();
        var third = await _orchestrator.NextBeatAsync();

        Assert.Equal(TimeSpan.FromSeconds(1), backOff);
        Assert.All(new[] { first, second, third }, b => Assert.Equal((_orchestrator.Url.Port, 200), (b.Port, b.Status)));
        Assert.Equal([true, false, false], new[] { first.Bootstrap, second.Bootstrap, third.Bootstrap });
        Assert.Equal(_orchestrator.Url, _registrar!.Heartbeats[0].Orchestrator);
        Assert.Single(_logs.Lines, l => l.Contains("cannot be reached", StringComparison.Ordinal));
    }

    [Fact]
    public async Task O2rChannel_IsNotSubscribed_AndItsNameIsNeverLogged()
    {
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        await NextSleepAsync();

        Assert.Contains(_logs.Lines, l => l.Contains($"runner_id={first.RunnerId}: the offered o2r channel is not subscribed", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("-o2r", StringComparison.Ordinal) || l.Contains("/ai/trickle/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Beats_CarryTheRunnersSessions_TheOrchestratorsListStaysItsOwn()
    {
        await StartAsync();
        await _orchestrator.NextBeatAsync();
        var active = _sessions.Begin(Registration.Label, "session_a1b2c3d4");
        await AdvanceToNextBeatAsync();
        var during = await _orchestrator.NextBeatAsync();
        await NextSleepAsync();

        Assert.Equal(["session_a1b2c3d4"], during.SessionIds);
        // The stand-in's proxy reserved nothing: its list is the authoritative one, and it is empty.
        Assert.Empty(_registrar!.Heartbeats[0].OrchestratorSessions);
        active.Dispose();
        _time.Advance(LiveHeartbeat.DefaultInterval);
        Assert.Empty((await _orchestrator.NextBeatAsync()).SessionIds);
    }

    [Fact]
    public async Task Secrets_NeverAppearInLogs()
    {
        await StartAsync();
        var first = await _orchestrator.NextBeatAsync();
        await AdvanceToNextBeatAsync();
        await _orchestrator.NextBeatAsync();
        var secret = _orchestrator.HeartbeatSecretOf(first.RunnerId)!;
        await NextSleepAsync();
        await _registrar!.StoppingAsync(CancellationToken.None);

        Assert.Contains(_logs.Lines, l => l.Contains(first.RunnerId, StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(Secret, StringComparison.Ordinal) || l.Contains(secret, StringComparison.Ordinal));
    }
}

/// <summary>A logger provider that keeps every formatted line (and its scopes' values) for assertions.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new System.Text.StringBuilder();
            owner._scopes.ForEachScope((scope, builder) => builder.Append(" scope=").Append(scope is IEnumerable<KeyValuePair<string, object>> pairs ? string.Join(",", pairs.Select(p => $"{p.Key}:{p.Value}")) : scope), scopes);
            owner._lines.Enqueue(formatter(state, exception) + scopes + (exception is null ? "" : " " + exception));
        }
    }
}
