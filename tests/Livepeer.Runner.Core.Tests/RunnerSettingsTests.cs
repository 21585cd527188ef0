using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Tests;

public sealed class RunnerSettingsTests
{
    private static RunnerSettings From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return RunnerSettings.FromVariables(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Defaults_MatchAiRunner()
    {
        var settings = From();
        Assert.Equal("0.0.0.0", settings.Host);
        Assert.Equal(8000, settings.Port);
        Assert.Equal("/models", settings.ModelDir);
        Assert.Null(settings.AuthToken);
        Assert.Equal("auto", settings.ExecutionProvider);
    }

    [Fact]
    public void Variables_AreRead()
    {
        var settings = From(("PORT", "9000"), ("HOST", "127.0.0.1"), ("AUTH_TOKEN", "s3cret"), ("MODEL_DIR", "/data"),
            ("VERBOSE_LOGGING", "1"), ("RUNNER_EXECUTION_PROVIDER", "CPU"), ("RUNNER_PNG_COMPRESSION", "6"));
        Assert.Equal(9000, settings.Port);
        Assert.Equal("127.0.0.1", settings.Host);
        Assert.Equal("s3cret", settings.AuthToken);
        Assert.Equal("/data", settings.ModelDir);
        Assert.True(settings.VerboseLogging);
        Assert.Equal("cpu", settings.ExecutionProvider);
        Assert.Equal(6, settings.PngCompressionLevel);
    }

    [Fact]
    public void TtsMaxChars_DefaultsTo5000_AndIsRead()
    {
        Assert.Equal(5000, From().TtsMaxChars);
        Assert.Equal(120, From(("RUNNER_TTS_MAX_CHARS", "120")).TtsMaxChars);
    }

    [Fact]
    public void EmptyVariables_CountAsUnset()
    {
        var settings = From(("AUTH_TOKEN", ""), ("PIPELINE", ""));
        Assert.Null(settings.AuthToken);
        Assert.Null(settings.Pipeline);
    }

    [Theory]
    [InlineData("PORT", "eighty")]
    [InlineData("PORT", "70000")]
    [InlineData("RUNNER_PNG_COMPRESSION", "10")]
    [InlineData("RUNNER_EXECUTION_PROVIDER", "tpu")]
    [InlineData("RUNNER_MAX_IMAGE_PIXELS", "0")]
    [InlineData("RUNNER_TTS_MAX_CHARS", "0")]
    public void BadValues_FailNamingTheVariable(string name, string value)
    {
        var error = Assert.Throws<RunnerConfigurationException>(() => From((name, value)));
        Assert.Contains(name, error.Message);
    }
}
