using System.Globalization;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// /health, /version and /hardware/*: never authenticated, never waiting on inference, always JSON.
/// </summary>
internal static class ServiceEndpoints
{
    public static void MapServiceRoutes(this IEndpointRouteBuilder app)
    {
        // Routing matches each path with and without a trailing slash, as ai-runner serves both.
        app.MapGet("/health", Health).WithTags("service").Produces<HealthResponse>().Produces<HttpError>(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/version", Version).WithTags("service").Produces<VersionResponse>();
        app.MapGet("/hardware/info", HardwareInfo).WithTags("service").Produces<HardwareInformation>();
        app.MapGet("/hardware/stats", HardwareStats).WithTags("service").Produces<HardwareStats>();
    }

    /// <summary>
    /// 200 OK once the warm models are loaded. While they load: 503, which go-livepeer's registration loop treats
    /// as "not yet" (it must never see LOADING from a batch runner, §6.3). ERROR only when warm-up failed.
    /// </summary>
    private static IResult Health(Readiness readiness) => readiness.State switch
    {
        ReadinessState.Ready => Results.Json(new HealthResponse("OK"), RunnerJson.Wire.HealthResponse),
        ReadinessState.Failed => Results.Json(new HealthResponse("ERROR"), RunnerJson.Wire.HealthResponse),
        _ => Results.Json(new HttpError(new ApiError("Warm models are still loading.")), RunnerJson.Wire.HttpError,
            statusCode: StatusCodes.Status503ServiceUnavailable),
    };

    private static IResult Version(ModelCatalog catalog, RunnerVersion version) =>
        Results.Json(new VersionResponse(catalog.Primary.Pipeline, catalog.Primary.ModelId, version.Value), RunnerJson.Wire.VersionResponse);

    private static IResult HardwareInfo(ModelCatalog catalog, GpuInventory gpus, OnnxSessionFactory sessions, EngineRegistry registry)
    {
        var devices = gpus.Devices().ToDictionary(
            gpu => gpu.Index.ToString(CultureInfo.InvariantCulture),
            gpu => new GpuInfoEntry(gpu.Id, gpu.Name, gpu.MemoryTotal, gpu.MemoryFree, gpu.Major, gpu.Minor));
        var choice = sessions.Choice;
        var engines = registry.Engines
            .Select(e => new EngineInfo(e.Name, e.Pipelines, e.Concurrency == int.MaxValue ? null : e.Concurrency, [.. e.Prerequisites.Select(p => p.Name)]))
            .ToList();
        return Results.Json(
            new HardwareInformation(catalog.Primary.Pipeline, catalog.Primary.ModelId, devices, new ExecutionProviderInfo(choice.Name, choice.DeviceId, choice.Reason), engines),
            RunnerJson.Wire.HardwareInformation);
    }

    private static IResult HardwareStats(ModelCatalog catalog, GpuInventory gpus, ModelManager models)
    {
        var stats = gpus.Stats().ToDictionary(
            gpu => gpu.Index.ToString(CultureInfo.InvariantCulture),
            gpu => new GpuStatsEntry(gpu.Id, gpu.Name, gpu.MemoryTotal, gpu.MemoryFree, gpu.UtilizationCompute, gpu.UtilizationMemory));
        var ledger = models.Snapshot();
        var requests = ledger.Requests;
        var device = new DeviceMemoryEntry(ledger.Device, ledger.Kind, ledger.TotalBytes, ledger.BudgetBytes, ledger.UsedBytes, ledger.FreeBytes,
            requests.ReservedBytes, requests.Running, requests.MaxConcurrency, requests.Queued, requests.MaxQueue);
        var resident = ledger.Models
            .Select(m => new ResidentModelEntry(m.Pipeline, m.ModelId, ledger.Device, m.State, m.FootprintBytes, m.Pinned, m.Leases, m.Running))
            .ToList();
        return Results.Json(new HardwareStats(catalog.Primary.Pipeline, catalog.Primary.ModelId, stats, [device], resident), RunnerJson.Wire.HardwareStats);
    }
}
