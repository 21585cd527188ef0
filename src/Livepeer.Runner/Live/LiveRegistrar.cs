namespace Livepeer.Runner.Live;

/// <summary>
/// Dynamic registration: one <see cref="LiveHeartbeat"/> per registration while the runner runs. On shutdown every
/// registration is unregistered first (<see cref="StoppingAsync"/> runs before the web server stops taking requests
/// and drains the in-flight ones), so the orchestrator stops routing to us before we stop serving.
/// </summary>
internal sealed partial class LiveRegistrar : IHostedLifecycleService, IDisposable
{
    /// <summary>How long shutdown waits for the orchestrator to take the unregistrations.</summary>
    public static readonly TimeSpan UnregisterTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task[] _loops = [];
    private int _disposed;

    public LiveRegistrar(LiveRunnerSettings settings, IReadOnlyList<LiveRegistration> registrations, LiveAdvert advert, Func<LiveRegistration, bool> ready,
        LiveSessions sessions, TimeProvider time, ILogger logger, HttpMessageHandler? handler = null)
    {
        _http = new HttpClient(handler ?? Handler(settings), disposeHandler: handler is null);
        _time = time;
        _logger = logger;
        Heartbeats = [.. registrations.Select(r => new LiveHeartbeat(r, advert, settings, _http, ready, sessions, time, logger))];
        Settings = settings;
    }

    public LiveRunnerSettings Settings { get; }

    public IReadOnlyList<LiveHeartbeat> Heartbeats { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarting(_logger, Heartbeats.Count, Settings.Orchestrator.GetLeftPart(UriPartial.Authority), Settings.TlsInsecure);
        _loops = [.. Heartbeats.Select(h => Task.Run(() => h.RunAsync(_stop.Token), CancellationToken.None))];
        return Task.CompletedTask;
    }

    /// <summary>Stops the beats, then unregisters every registration (in parallel, bounded).</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(UnregisterTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // A beat still waiting on the orchestrator: unregister what is known.
        }

        using var deadline = new CancellationTokenSource(UnregisterTimeout, _time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        await Task.WhenAll(Heartbeats.Select(h => h.UnregisterAsync(bounded.Token)));
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Idempotent: the container holds this instance twice, as itself and as a hosted service.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Cancel();
        _stop.Dispose();
        _http.Dispose();
    }

    private static SocketsHttpHandler Handler(LiveRunnerSettings settings)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (settings.TlsInsecure)
        {
            // Opt-in only (LIVE_RUNNER_TLS_INSECURE=1): go-livepeer orchestrators often serve a self-signed certificate.
#pragma warning disable CA5359 // Deliberate and off by default; never applied to anything but the orchestrator client.
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return handler;
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "live runner: registering {Count} models with {Orchestrator} (tls_insecure {Insecure})")]
    private static partial void LogStarting(ILogger logger, int count, string orchestrator, bool insecure);
}
