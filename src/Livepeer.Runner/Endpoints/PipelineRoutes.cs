using Livepeer.Runner.Diagnostics;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// Maps a pipeline endpoint for a front end (ASP.NET Core routing matches it with and without the trailing slash, as
/// ai-runner serves both) and runs its steps: every failure goes to the front end's envelope, and one metrics sample
/// is taken and one log line written per request when its reply has been written.
/// </summary>
internal static partial class PipelineRoutes
{
    public static RouteHandlerBuilder Map<TRequest>(IEndpointRouteBuilder app, FrontEnd frontEnd, PipelineEndpoint<TRequest> endpoint, RouteServices services)
    {
        var route = app.MapPost(frontEnd.RoutePrefix + endpoint.Route, (Delegate)((HttpContext context) => HandleAsync(context, frontEnd, endpoint, services)))
            .WithName(frontEnd.RoutePrefix.Length == 0 ? endpoint.Name : frontEnd.RoutePrefix + "/" + endpoint.Name)
            .WithTags(endpoint.Name)
            .WithMetadata(new PipelineRouteMetadata(endpoint.Contract.Pipeline));
        return frontEnd.DescribeErrors(endpoint.Describe(route));
    }

    private static async Task<IResult> HandleAsync<TRequest>(HttpContext context, FrontEnd frontEnd, PipelineEndpoint<TRequest> endpoint, RouteServices services)
    {
        var contract = endpoint.Contract;
        if (frontEnd.NotFoundWithoutModels && !services.Catalog.Serves(contract.Pipeline))
            return ErrorResults.NotFound();

        var started = services.Time.GetTimestamp();
        var call = new PipelineCall(context, contract, frontEnd, services);
        IResult result;
        try
        {
            var request = await endpoint.ParseAsync(call);
            var model = call.ResolveModel(endpoint.RequestedModel(request));
            endpoint.Check?.Invoke(call, request);
            if (endpoint.RunAsync is not { } run || !services.Engines.IsBuilt(contract.Pipeline))
                throw EngineRegistry.Unavailable(contract.Pipeline, model.ModelId);
            result = await run(call, request, model);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone: nothing can be sent. Its queued or running work has already stopped.
            LogAbandoned(services.Logger, contract.Pipeline, call.ModelId);
            Answered(context, services, contract.Pipeline, call.ModelId, MeteredResult.ClientClosedRequest, started);
            return Results.Empty;
        }
        catch (Exception error)
        {
            result = frontEnd.Errors(context, error, contract);
            LogFailure(services.Logger, error, contract.Pipeline, call.ModelId, StatusOf(result));
        }

        var modelId = call.ModelId;
        return new MeteredResult(result, status => Answered(context, services, contract.Pipeline, modelId, status, started));
    }

    /// <summary>The request's one metrics sample and its one Information log line.</summary>
    private static void Answered(HttpContext context, RouteServices services, string pipeline, string modelId, int status, long started)
    {
        var duration = services.Time.GetElapsedTime(started);
        services.Metrics.RequestAnswered(pipeline, modelId, status, duration);
        services.Requests.Answered(context, modelId, status, duration);
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

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "client disconnected pipeline={Pipeline} model_id={ModelId}")]
    private static partial void LogAbandoned(ILogger logger, string pipeline, string modelId);
}
