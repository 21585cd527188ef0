using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Live;

namespace Livepeer.Runner.Tests.Live;

public sealed class LiveSettingsTests
{
    private static LiveRunnerSettings? From(params (string Name, string Value)[] variables) =>
        LiveRunnerSettings.FromVariables(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void WithoutAnOrchestrator_DynamicRegistrationIsOff() => Assert.Null(From(("LIVE_RUNNER_SECRET", "x")));

    [Fact]
    public void SecretFile_IsReadAndTrimmed_AndNeverPrinted()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "  file-secret-value\n");
            var settings = From(("LIVE_RUNNER_ORCHESTRATOR", "https://orch:8935"), ("LIVE_RUNNER_SECRET_FILE", file), ("RUNNER_PUBLIC_URL", "http://runner:8000"));

            Assert.Equal("file-secret-value", settings!.Secret);
            Assert.False(settings.TlsInsecure);
            Assert.DoesNotContain("file-secret-value", settings.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("https://orch:8935", "", "http://runner:8000", "LIVE_RUNNER_SECRET")]
    [InlineData("https://orch:8935", "s", "", "RUNNER_PUBLIC_URL")]
    [InlineData("https://orch:8935", "s", "runner:8000", "RUNNER_PUBLIC_URL")]
    [InlineData("orch:8935", "s", "http://runner:8000", "LIVE_RUNNER_ORCHESTRATOR")]
    public void IncompleteSettings_AreAConfigurationErrorNamingTheVariable(string orchestrator, string secret, string publicUrl, string named)
    {
        var error = Assert.Throws<RunnerConfigurationException>(() =>
            From(("LIVE_RUNNER_ORCHESTRATOR", orchestrator), ("LIVE_RUNNER_SECRET", secret), ("RUNNER_PUBLIC_URL", publicUrl)));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\"s\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsInsecure_IsOptIn() =>
        Assert.True(From(("LIVE_RUNNER_ORCHESTRATOR", "https://orch:8935"), ("LIVE_RUNNER_SECRET", "s"), ("RUNNER_PUBLIC_URL", "http://r:8000"), ("LIVE_RUNNER_TLS_INSECURE", "1"))!.TlsInsecure);

    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("20s", 20000)]
    [InlineData("1m30s", 90000)]
    [InlineData("1.5s", 1500)]
    [InlineData("250ms", 250)]
    [InlineData("1h", 3600000)]
    public void GoDurations_Parse(string text, int milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("s")]
    public void BadGoDurations_DoNotParse(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void Labels_AreDeterministicAndSlashFree_AndIdsDifferByHost()
    {
        var entry = new ModelEntry("text-to-image", "SG161222/RealVisXL_V4.0_Lightning", Warm: false);
        var registration = Assert.Single(LiveRegistration.From(new ModelCatalog([entry])));

        Assert.Equal("text-to-image--SG161222--RealVisXL_V4.0_Lightning", registration.Label);
        Assert.Equal(registration.RunnerId(new Uri("http://a:8000")), registration.RunnerId(new Uri("http://a:8000")));
        Assert.NotEqual(registration.RunnerId(new Uri("http://a:8000")), registration.RunnerId(new Uri("http://b:8000")));
        Assert.DoesNotContain('/', registration.RunnerId(new Uri("http://a:8000")));
    }

    [Fact]
    public void ModelsThatWouldShareALabel_StopStartup()
    {
        var error = Assert.Throws<RunnerConfigurationException>(() => LiveRegistration.From(new ModelCatalog(
        [
            new ModelEntry("llm", "a--b/c", Warm: false),
            new ModelEntry("llm", "a/b--c", Warm: false),
        ])));

        Assert.Contains("a--b/c", error.Message, StringComparison.Ordinal);
    }
}
