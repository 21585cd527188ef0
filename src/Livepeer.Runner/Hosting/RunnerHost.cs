using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Diagnostics;
using Livepeer.Runner.Endpoints;
using Livepeer.Runner.Http;
using Livepeer.Runner.Live;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Upscale;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;
using Scalar.AspNetCore;

namespace Livepeer.Runner.Hosting;

/// <summary>How the runner is put together: services from settings, then middleware and routes.</summary>
internal static partial class RunnerHost
{
    /// <summary>HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE for LoRA downloads; a bad endpoint stops startup.</summary>
    private static Models.HubSettings HubSettingsOf(IConfiguration configuration)
    {
        try
        {
            return Models.HubSettings.FromVariables(name => configuration[name]);
        }
        catch (Models.HubException e)
        {
            throw new RunnerConfigurationException(e.Message);
        }
    }

    public static void AddRunner(this WebApplicationBuilder builder, RunnerSettings settings)
    {
        var catalog = new ModelCatalog(ModelCatalogLoader.Load(settings));
        var version = RunnerVersion.Resolve(settings.Version);

        builder.WebHost.UseUrls(ListenUrl(settings));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Uploads are streamed and bounded per route (FormReader), so Kestrel's own cap would only turn an
            // oversize upload into a non-JSON 413 before the route can answer in the contract's words.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.Configure<KestrelServerOptions>(options => options.AllowSynchronousIO = false);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        if (settings.VerboseLogging)
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        else
            // ASP.NET Core writes several Information lines per request; the runner writes one (Diagnostics/RequestLog).
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(catalog);
        services.AddSingleton(version);
        services.AddSingleton(new RunnerMetrics(version.Value));
        services.AddSingleton(new BearerAuth(settings.AuthToken));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new ModelLocator(settings.ModelDir));
        var sessions = new OnnxSessionFactory(settings);
        services.AddSingleton(sessions);
        services.AddSingleton(provider => DeviceDiscovery.Select(
            settings, sessions.Choice.IsCuda, provider.GetRequiredService<GpuInventory>().Devices(), Environment.GetEnvironmentVariable));
        services.AddSingleton<IDeviceMemory>(provider => provider.GetRequiredService<ComputeDevice>() is { Kind: DeviceKind.Gpu, Uuid: { } uuid }
            ? new GpuMemory(provider.GetRequiredService<GpuInventory>(), uuid)
            : new ProcessMemory());
        services.Configure<HostOptions>(host => host.ShutdownTimeout = settings.ShutdownGrace);
        services.AddSingleton(EngineRegistry.Default);
        services.AddSingleton<IModelLoader, PipelineModelLoader>();
        services.AddSingleton<ModelManager>();
        services.AddSingleton<GpuInventory>();
        services.AddSingleton<Readiness>();
        services.AddSingleton<SafetyCheckNotices>();
        services.AddSingleton<DiffusionReplies>();
        services.AddSingleton<UpscalePipeline>();
        var hub = HubSettingsOf(builder.Configuration);
        services.AddSingleton<Pipelines.Diffusion.Lora.ILoraSource>(provider => new Models.HubLoraSource(
            settings, hub, provider.GetRequiredService<ILogger<Models.HubLoraSource>>()));
        services.AddSingleton<Pipelines.Diffusion.DiffusionPipeline>();
        services.AddSingleton<Pipelines.Llm.LlmPipeline>();
        services.AddSingleton<Pipelines.Whisper.AudioToTextPipeline>();
        services.AddSingleton<Pipelines.Captioning.ImageToTextPipeline>();
        services.AddSingleton<Pipelines.Segmentation.SegmentAnything2Pipeline>();
        services.AddSingleton<Pipelines.Speech.TextToSpeechPipeline>();
        services.AddSingleton<Pipelines.Video.IDenoiseProgress, DenoiseProgressLog>();
        services.AddSingleton<Pipelines.Video.ImageToVideoPipeline>();
        services.AddHostedService<WarmupService>();
        builder.AddLiveRunner(catalog);
        services.AddOpenApi(OpenApiDocument.Configure);
        services.ConfigureHttpJsonOptions(json =>
        {
            // The wire format, also for the request records the OpenAPI document describes.
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, Contract.RunnerJson.Wire);
            json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
    }

    public static void UseRunner(this WebApplication app)
    {
        var services = app.Services;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Livepeer.Runner");
        var settings = services.GetRequiredService<RunnerSettings>();
        var catalog = services.GetRequiredService<ModelCatalog>();
        var sessions = services.GetRequiredService<OnnxSessionFactory>();
        var metrics = services.GetRequiredService<RunnerMetrics>();
        var models = services.GetRequiredService<ModelManager>();
        models.Changed += change => metrics.ModelChanged(change, models.Snapshot());
        models.Requests += step => metrics.RequestStep(step, models.Load());
        metrics.DeviceLedger(models.Snapshot());

        LogStarting(logger, services.GetRequiredService<RunnerVersion>().Value, catalog.Entries.Count, settings.AuthToken is not null);
        LogExecutionProvider(logger, sessions.Choice.Name, sessions.Choice.Reason);
        LogDevice(logger, models.Device.Name, models.Device.TotalBytes, models.Device.BudgetBytes);
        var engines = services.GetRequiredService<EngineRegistry>();
        foreach (var entry in catalog.Entries)
            LogModel(logger, entry.Pipeline, entry.ModelId, entry.Warm, engines.For(entry.Pipeline)?.NeedsFiles(entry) == false ? "no files" : entry.Path ?? settings.ModelDir);

        app.UseJsonFallbacks();
        app.UseRouting();
        app.UseLiveRequestLog(logger);
        app.MapServiceRoutes();
        var routeServices = RouteServices.From(services);
        app.MapPipelines(FrontEnd.Batch, routeServices);
        app.MapOpenAi(routeServices);
        app.MapLive(routeServices);
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapOpenApi("/openapi.json");
        app.MapScalarApiReference("/docs", OfflineDocs);
    }

    /// <summary>
    /// The docs page works where the runner runs, often with no internet: Scalar's bundle is served from the package,
    /// and nothing reaches out (no CDN fonts, no telemetry, no hosted client, agent or MCP buttons).
    /// </summary>
    private static void OfflineDocs(ScalarOptions scalar) => scalar
        .WithOpenApiRoutePattern("/openapi.json")
        .WithTitle("Livepeer.Runner")
        .DisableDefaultFonts()
        .DisableTelemetry()
        .HideClientButton()
        .DisableAgent()
        .DisableMcp();

    private static string ListenUrl(RunnerSettings settings) => settings.Host switch
    {
        "" or "0.0.0.0" or "*" => $"http://0.0.0.0:{settings.Port}",
        "::" => $"http://[::]:{settings.Port}",
        var host => $"http://{host}:{settings.Port}",
    };

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Livepeer.Runner {Version} starting with {Count} configured models (auth {AuthEnabled})")]
    private static partial void LogStarting(ILogger logger, string version, int count, bool authEnabled);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "execution provider {Provider}: {Reason}")]
    private static partial void LogExecutionProvider(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "models live on device={Device} total_bytes={TotalBytes} budget_bytes={BudgetBytes}")]
    private static partial void LogDevice(ILogger logger, string device, long totalBytes, long budgetBytes);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "model pipeline={Pipeline} model_id={ModelId} warm={Warm} source={Source}")]
    private static partial void LogModel(ILogger logger, string pipeline, string modelId, bool warm, string source);
}
