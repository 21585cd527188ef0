using System.Collections.Concurrent;
using System.Net;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Tests;

/// <summary>Every log entry the host lets through its filters, with its category and level.</summary>
public sealed class CategoryLogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => [.. _entries];

    public void Clear() => _entries.Clear();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CategoryLogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}

/// <summary>The ESRGAN x2 upscaler (warm), its logs captured; <see cref="Verbose"/> sets VERBOSE_LOGGING=1.</summary>
public abstract class LoggedRunner : ConfiguredRunner
{
    public const string Live = "/live/upscale--upscalerjs--esrgan-slim-x2";

    public CategoryLogCapture Logs { get; } = new();

    protected virtual bool Verbose => false;

    protected override IEnumerable<object> Models() =>
        [new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = true, path = TestPaths.Model("esrgan-slim", "x2") }];

    protected override IEnumerable<(string Name, string Value)> Settings() => Verbose ? [("VERBOSE_LOGGING", "1")] : [];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);

    /// <summary>Clears the log, sends one upscale request and reads its reply to the end.</summary>
    public async Task UpscaleAsync(string path = "/upscale", string? sessionId = null)
    {
        Logs.Clear();
        using var client = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Requests.Form("image", Requests.Fixture, ("prompt", "x")) };
        if (sessionId is not null)
            request.Headers.Add("Livepeer-Session-Id", sessionId);
        using var response = await client.SendAsync(request);
        await response.ReadJsonAsync(HttpStatusCode.OK);
    }
}

public sealed class QuietRunner : LoggedRunner;

public sealed class VerboseRunner : LoggedRunner
{
    protected override bool Verbose => true;
}

public sealed class RequestLogTests(QuietRunner runner) : IClassFixture<QuietRunner>
{
    private const string Category = "Livepeer.Runner.Requests";

    [Fact]
    public async Task OneRequest_WritesOneInformationLine_FromTheRequestCategory()
    {
        await runner.UpscaleAsync();

        var line = Assert.Single(runner.Logs.Entries, e => e.Category == Category && e.Level == LogLevel.Information).Message;
        Assert.Matches(@"^request route=/upscale model_id=upscalerjs/esrgan-slim-x2 status=200 duration_ms=[0-9.]+ request_id=\S+$", line);
    }

    [Fact]
    public async Task OneRequest_WritesNothingFromAspNetCore()
    {
        await runner.UpscaleAsync();

        Assert.DoesNotContain(runner.Logs.Entries, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OneLiveRequest_WritesOneInformationLine_WithTheSessionIdAsRequestId()
    {
        await runner.UpscaleAsync(LoggedRunner.Live + "/upscale", sessionId: "session_log0001");

        // Only the request category: other lines (e.g. the once-per-model safety-check notice) come and go with test order.
        var line = Assert.Single(runner.Logs.Entries, e => e.Category == Category && e.Level == LogLevel.Information && e.Message.Contains("/live/", StringComparison.Ordinal)).Message;
        Assert.EndsWith($"route={LoggedRunner.Live}/upscale model_id=upscalerjs/esrgan-slim-x2 status=200", line[..line.IndexOf(" duration_ms", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.EndsWith(" request_id=session_log0001", line, StringComparison.Ordinal);
    }
}

public sealed class VerboseRequestLogTests(VerboseRunner runner) : IClassFixture<VerboseRunner>
{
    [Fact]
    public async Task VerboseLogging_BringsBackAspNetCoresRequestLines()
    {
        await runner.UpscaleAsync();

        Assert.Contains(runner.Logs.Entries, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.Level == LogLevel.Information);
    }
}
