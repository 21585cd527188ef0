using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Http;

namespace Livepeer.Runner.Endpoints;

/// <summary>Turns a failure into a front end's reply, in its own envelope.</summary>
internal delegate IResult ErrorReply(HttpContext context, Exception error, PipelineContract contract);

/// <summary>Which configured model a request means, from the model id it names (empty: none named).</summary>
internal delegate ModelEntry ModelRule(ModelCatalog catalog, string pipeline, string requestedModelId);

/// <summary>
/// What differs between the ways clients reach the same pipelines: where the routes live, where the model comes
/// from, the error envelope, and what a request does when its model is busy. Every front end runs the same two steps
/// of a <see cref="PipelineEndpoint{TRequest}"/> (parse, then run on the resolved model) through
/// <see cref="PipelineRoutes"/>.
/// </summary>
/// <param name="Name">For logs.</param>
/// <param name="RoutePrefix">Prepended to every route the front end maps; empty for the batch routes.</param>
/// <param name="ResolveModel">The model rule.</param>
/// <param name="Errors">The error envelope.</param>
/// <param name="WhenBusy">Wait for a turn of the model, or fail at once (and let <see cref="Errors"/> say so).</param>
/// <param name="NotFoundWithoutModels">Answer 404 on a pipeline no configured model serves (ai-runner mounts only its own route).</param>
/// <param name="DescribeErrors">The OpenAPI description of the error replies.</param>
internal sealed record FrontEnd(
    string Name,
    string RoutePrefix,
    ModelRule ResolveModel,
    ErrorReply Errors,
    WhenBusy WhenBusy,
    bool NotFoundWithoutModels,
    Func<RouteHandlerBuilder, RouteHandlerBuilder> DescribeErrors)
{
    /// <summary>ai-runner's batch contract, as go-livepeer (≤ v0.9.x) calls it.</summary>
    public static FrontEnd Batch { get; } = new(
        "batch",
        "",
        static (catalog, pipeline, requested) => catalog.Resolve(pipeline, requested),
        ErrorResults.For,
        WhenBusy.Wait,
        NotFoundWithoutModels: true,
        static route => route
            .Produces<HttpError>(StatusCodes.Status400BadRequest)
            .Produces<HttpError>(StatusCodes.Status401Unauthorized)
            .Produces<HttpValidationError>(StatusCodes.Status422UnprocessableEntity)
            .Produces<HttpError>(StatusCodes.Status500InternalServerError));

    /// <summary>The OpenAI API shape of the LLM engine: OpenAI's error body, and a 404 naming an unknown model.</summary>
    public static FrontEnd OpenAi { get; } = new(
        "openai",
        "",
        static (catalog, pipeline, requested) => catalog.Resolve(pipeline, requested),
        OpenAiErrors.For,
        WhenBusy.Wait,
        NotFoundWithoutModels: false,
        static route => route
            .Produces<OpenAiError>(StatusCodes.Status400BadRequest)
            .Produces<OpenAiError>(StatusCodes.Status401Unauthorized)
            .Produces<OpenAiError>(StatusCodes.Status404NotFound)
            .Produces<OpenAiError>(StatusCodes.Status500InternalServerError));
}
