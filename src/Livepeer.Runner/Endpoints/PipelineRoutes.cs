using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Diagnostics;
using Livepeer.Runner.Http;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// Maps a pipeline's POST route (ASP.NET Core routing matches it with and without the trailing slash, as
/// ai-runner serves both) and wraps its handler: 404 when no model serves the pipeline (ai-runner mounts only its own
/// route), every failure to the contract's envelope, and one metrics sample per answered request.
/// </summary>
internal static partial class PipelineRoutes
{
    public delegate Task<IResult> Handler(PipelineCall call);

    public static RouteHandlerBuilder MapPipeline(this IEndpointRouteBuilder app, PipelineContract contract, Handler handler)
    {
        return app.MapPost(contract.Route, (Delegate)((HttpContext context) => Handle(context, contract, handler)))
            .WithName(contract.Pipeline)
            .WithTags(contract.Pipeline)
            .Produces<HttpError>(StatusCodes.Status400BadRequest)
            .Produces<HttpError>(StatusCodes.Status401Unauthorized)
            .Produces<HttpValidationError>(StatusCodes.Status422UnprocessableEntity)
            .Produces<HttpError>(StatusCodes.Status500InternalServerError);
    }

    private static async Task<IResult> Handle(HttpContext context, PipelineContract contract, Handler handler)
    {
        var services = context.RequestServices;
        var catalog = services.GetRequiredService<ModelCatalog>();
        var metrics = services.GetRequiredService<RunnerMetrics>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Livepeer.Runner.Pipelines");
        if (!catalog.Serves(contract.Pipeline))
            return ErrorResults.NotFound();

        var started = TimeProvider.System.GetTimestamp();
        var call = new PipelineCall(context, contract, catalog, services.GetRequiredService<BearerAuth>(), services.GetRequiredService<RunnerSettings>());
        IResult result;
        try
        {
            result = await handler(call);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone: nothing can be sent. Its queued or running work has already stopped.
            LogAbandoned(logger, contract.Pipeline, call.ModelId);
            metrics.RequestAnswered(contract.Pipeline, call.ModelId, 499, TimeProvider.System.GetElapsedTime(started));
            return Results.Empty;
        }
        catch (Exception error)
        {
            result = ErrorResults.For(context, error, contract);
            LogFailure(logger, error, contract.Pipeline, call.ModelId, StatusOf(result));
        }

        metrics.RequestAnswered(contract.Pipeline, call.ModelId, StatusOf(result), TimeProvider.System.GetElapsedTime(started));
        return result;
    }

    private static int StatusOf(IResult result) => (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;

    private static void LogFailure(ILogger logger, Exception error, string pipeline, string modelId, int status)
    {
        if (status >= 500)
            LogServerError(logger, error, pipeline, modelId, status);
        else
            LogClientError(logger, pipeline, modelId, status, error.Message);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "request failed pipeline={Pipeline} model_id={ModelId} status={Status}")]
    private static partial void LogServerError(ILogger logger, Exception error, string pipeline, string modelId, int status);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "request refused pipeline={Pipeline} model_id={ModelId} status={Status}: {Reason}")]
    private static partial void LogClientError(ILogger logger, string pipeline, string modelId, int status, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "client disconnected pipeline={Pipeline} model_id={ModelId}")]
    private static partial void LogAbandoned(ILogger logger, string pipeline, string modelId);
}
