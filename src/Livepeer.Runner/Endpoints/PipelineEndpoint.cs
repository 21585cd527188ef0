using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Endpoints;

/// <summary>A pipeline route any front end can map (<see cref="PipelineRoutes"/>).</summary>
internal interface IPipelineEndpoint
{
    PipelineContract Contract { get; }

    /// <summary>Whether the endpoint can run a request, given an engine; false while its pipeline has none in this build.</summary>
    bool HasRunStep { get; }

    RouteHandlerBuilder Map(IEndpointRouteBuilder app, FrontEnd frontEnd, RouteServices services);
}

/// <summary>
/// One pipeline route as steps, so every front end calls the same ones in the contract's order:
/// <list type="number">
/// <item><see cref="ParseAsync"/>: bind the body and make the checks that come before the model rule, auth included
/// where the contract puts it (422 shape errors first, then e.g. an empty prompt, then 401).</item>
/// <item>the front end's model rule, given <see cref="RequestedModel"/>.</item>
/// <item><see cref="Check"/>: the checks the contract makes after the model rule (413, JSON prompt fields, sizes).</item>
/// <item>the engine registry: a pipeline without an engine answers "not built" here.</item>
/// <item><see cref="RunAsync"/>: the parsed request on the resolved model, to the reply.</item>
/// </list>
/// </summary>
internal sealed record PipelineEndpoint<TRequest>(
    PipelineContract Contract,
    Func<PipelineCall, Task<TRequest>> ParseAsync,
    Func<TRequest, string> RequestedModel) : IPipelineEndpoint
{
    /// <summary>The route below the front end's prefix; the contract's route unless given.</summary>
    public string Route { get; init; } = Contract.Route;

    /// <summary>The OpenAPI operation name and tag.</summary>
    public string Name { get; init; } = Contract.Pipeline;

    public Action<PipelineCall, TRequest>? Check { get; init; }

    /// <summary>Null while this build has no engine for the pipeline: the route then answers "not built" after its checks.</summary>
    public Func<PipelineCall, TRequest, ModelEntry, Task<IResult>>? RunAsync { get; init; }

    public bool HasRunStep => RunAsync is not null;

    /// <summary>The OpenAPI description of the request body and the success reply.</summary>
    public Func<RouteHandlerBuilder, RouteHandlerBuilder> Describe { get; init; } = static route => route;

    public RouteHandlerBuilder Map(IEndpointRouteBuilder app, FrontEnd frontEnd, RouteServices services) =>
        PipelineRoutes.Map(app, frontEnd, this, services);
}
