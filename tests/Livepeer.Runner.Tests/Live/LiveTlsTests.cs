using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Live;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// LIVE_RUNNER_TLS_INSECURE against the stand-in orchestrator serving HTTPS with a self-signed certificate made here
/// (go-livepeer's usual setup): refused and retried with back-off while the flag is off, registered with it on.
/// </summary>
public sealed class LiveTlsTests : IAsyncLifetime
{
    private const string Secret = "orch-tls-secret";
    private static readonly Uri PublicUrl = new("http://runner.test:8000");

    private static readonly LiveRegistration Registration = new(
        new ModelEntry("upscale", "upscalerjs/esrgan-slim-x2", Warm: false), "upscale--upscalerjs--esrgan-slim-x2");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Channel<TimeSpan> _sleeps = Channel.CreateUnbounded<TimeSpan>();
    private readonly CapturingLoggerProvider _logs = new();
    private X509Certificate2 _certificate = null!;
    private FakeOrchestrator _orchestrator = null!;
    private LiveRegistrar? _registrar;

    public async ValueTask InitializeAsync()
    {
        _certificate = SelfSigned();
        _orchestrator = await FakeOrchestrator.StartAsync(Secret, _time, new SocketsHttpHandler(), _certificate);
    }

    public async ValueTask DisposeAsync()
    {
        _registrar?.Dispose();
        await _orchestrator.DisposeAsync();
        _certificate.Dispose();
    }

    /// <summary>A server certificate for 127.0.0.1 that no store trusts.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=orchestrator", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        // Through PKCS#12 so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Starts a registrar that builds its own HTTP handler from the settings, as the runner does.</summary>
    private async Task StartAsync(bool insecure)
    {
        Assert.Equal("https", _orchestrator.Url.Scheme);
        var settings = new LiveRunnerSettings(_orchestrator.Url, Secret, PublicUrl, insecure);
        _registrar = new LiveRegistrar(settings, [Registration], new LiveAdvert(PublicUrl, "1.2.3", null), _ => true, new LiveSessions(), _time, _logs.CreateLogger("live"));
        _registrar.Heartbeats[0].Sleeping += delay => _sleeps.Writer.TryWrite(delay);
        await _registrar.StartAsync(CancellationToken.None);
    }

    private async Task<TimeSpan> AdvanceToNextBeatAsync()
    {
        var delay = await _sleeps.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        _time.Advance(delay);
        return delay;
    }

    [Fact]
    public async Task SelfSignedOrchestrator_IsRefusedAndRetriedWithBackOff_WhileTheFlagIsOff()
    {
        await StartAsync(insecure: false);

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
            waits.Add(await AdvanceToNextBeatAsync());

        Assert.Equal([1, 2, 4, 5], waits.Select(w => w.TotalSeconds));
        Assert.Empty(_orchestrator.Beats);
        Assert.Null(_registrar!.Heartbeats[0].RunnerId);
        Assert.Contains(_logs.Lines, l => l.Contains("is not trusted", StringComparison.Ordinal) && l.Contains("LIVE_RUNNER_TLS_INSECURE=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SelfSignedOrchestrator_IsAccepted_WithTheFlagOn()
    {
        await StartAsync(insecure: true);
        var first = await _orchestrator.NextBeatAsync();
        await AdvanceToNextBeatAsync();
        var second = await _orchestrator.NextBeatAsync();

        Assert.Equal((true, 200), (first.Bootstrap, first.Status));
        Assert.Equal((false, 200), (second.Bootstrap, second.Status));
        Assert.Equal(first.RunnerId, _registrar!.Heartbeats[0].RunnerId);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("is not trusted", StringComparison.Ordinal));
    }
}
