using System.Text.Json;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The real runner in-process, configured only through the settings it reads from the environment. Started hosts
/// have loaded their warm models (awaited, not polled).
/// </summary>
public sealed class RunnerHost : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly Action<IServiceCollection>? _services;

    private RunnerHost(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? services)
    {
        _settings = settings;
        _services = services;
    }

    /// <param name="services">Replaces registrations after the runner's own (e.g. an engine registry without an engine).</param>
    public static async Task<RunnerHost> StartAsync(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? services = null)
    {
        var host = new RunnerHost(settings, services);
        using var _ = host.CreateClient();
        await host.Services.GetRequiredService<Readiness>().WhenReady;
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (name, value) in _settings)
            builder.UseSetting(name, value);
        if (_services is not null)
            builder.ConfigureTestServices(_services);
    }

    /// <summary>
    /// The three real ESRGAN-slim upscalers (x4 warm) and one placeholder model without files for every other
    /// pipeline, so each route is served and answers its contract errors.
    /// </summary>
    public static IEnumerable<object> StandardModels()
    {
        var esrgan = TestPaths.Model("esrgan-slim");
        var entries = new List<object>
        {
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x4", warm = true, path = Path.Combine(esrgan, "x4") },
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = false, path = Path.Combine(esrgan, "x2", "model.onnx") },
            new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x3", warm = false, path = Path.Combine(esrgan, "x3") },
        };
        foreach (var (pipeline, id) in Placeholders)
            entries.Add(new { pipeline, model_id = id, warm = false });
        return entries;
    }

    public static IReadOnlyList<(string Pipeline, string ModelId)> Placeholders { get; } =
    [
        ("text-to-image", "SG161222/RealVisXL_V4.0_Lightning"),
        ("image-to-image", "timbrooks/instruct-pix2pix"),
        ("image-to-video", "stabilityai/stable-video-diffusion-img2vid-xt"),
        ("audio-to-text", "openai/whisper-large-v3"),
        ("segment-anything-2", "facebook/sam2-hiera-large"),
        ("llm", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        ("image-to-text", "Salesforce/blip-image-captioning-large"),
        ("text-to-speech", "parler-tts/parler-tts-large-v1"),
    ];
}

/// <summary>
/// A runner started from a MODELS_CONFIG written for one test class and shared by its tests. Subclasses list the
/// models and any extra settings; sessions always run on the CPU execution provider.
/// </summary>
public abstract class ConfiguredRunner : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("runner-").FullName;

    public RunnerHost Host { get; private set; } = null!;

    /// <summary>This runner's own temporary folder (its models file lives there), deleted with the runner.</summary>
    protected string TempFolder => _dir;

    protected abstract IEnumerable<object> Models();

    protected virtual IEnumerable<(string Name, string Value)> Settings() => [];

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async ValueTask InitializeAsync()
    {
        var config = Path.Combine(_dir, "aiModels.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(Models()));
        var settings = new Dictionary<string, string> { ["MODELS_CONFIG"] = config, ["RUNNER_EXECUTION_PROVIDER"] = "cpu" };
        foreach (var (name, value) in Settings())
            settings[name] = value;
        Host = await RunnerHost.StartAsync(settings, ConfigureServices);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The standard models, no auth, small limits so oversize cases stay cheap.</summary>
public sealed class ManyModelsRunner : ConfiguredRunner
{
    public const long MaxUploadBytes = 2 * 1024 * 1024;

    protected override IEnumerable<object> Models() => RunnerHost.StandardModels();

    protected override IEnumerable<(string Name, string Value)> Settings() =>
    [
        ("RUNNER_MAX_UPLOAD_BYTES", MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("RUNNER_MAX_IMAGE_PIXELS", (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("RUNNER_UPSCALE_MAX_OUTPUT_PIXELS", (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

/// <summary>The standard models with AUTH_TOKEN set.</summary>
public sealed class AuthenticatedRunner : ConfiguredRunner
{
    public const string Token = "s3cret-token";

    protected override IEnumerable<object> Models() => RunnerHost.StandardModels();

    protected override IEnumerable<(string Name, string Value)> Settings() => [("AUTH_TOKEN", Token)];
}
