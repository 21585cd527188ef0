using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Diagnostics;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Endpoints;

/// <summary>The singletons every pipeline route uses, resolved once when the routes are mapped rather than per request.</summary>
internal sealed record RouteServices(
    ModelCatalog Catalog,
    EngineRegistry Engines,
    BearerAuth Auth,
    RunnerSettings Settings,
    RunnerMetrics Metrics,
    TimeProvider Time,
    ILogger Logger,
    RequestLog Requests)
{
    public static RouteServices From(IServiceProvider services) => new(
        services.GetRequiredService<ModelCatalog>(),
        services.GetRequiredService<EngineRegistry>(),
        services.GetRequiredService<BearerAuth>(),
        services.GetRequiredService<RunnerSettings>(),
        services.GetRequiredService<RunnerMetrics>(),
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Livepeer.Runner.Pipelines"),
        new RequestLog(services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestLog.Category)));
}
