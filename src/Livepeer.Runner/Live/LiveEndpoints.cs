using Livepeer.Runner.Contract;
using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Endpoints;
using Livepeer.Runner.Http;

namespace Livepeer.Runner.Live;

/// <summary>
/// The Live Runner routes, one prefix per registration (<c>/live/&lt;label&gt;</c>): the pipeline's batch route with
/// its request and response shapes, for LLMs also <c>/v1/chat/completions</c> and <c>/v1/models</c>, and
/// <c>/health</c>. go-livepeer's proxy keeps the prefix of <c>runner_url</c>, so the prefix alone says which model a
/// request is for.
/// </summary>
internal static class LiveEndpoints
{
    public static void MapLive(this IEndpointRouteBuilder app, RouteServices services)
    {
        var registrations = app.ServiceProvider.GetRequiredService<IReadOnlyList<LiveRegistration>>();
        var health = app.ServiceProvider.GetRequiredService<LiveHealth>();
        var endpoints = PipelineEndpoints.All(app.ServiceProvider);
        foreach (var registration in registrations)
        {
            var frontEnd = LiveFrontEnd.Batch(registration);
            foreach (var endpoint in endpoints.Where(e => e.Contract.Pipeline == registration.Entry.Pipeline))
                endpoint.Map(app, frontEnd, services);

            app.MapGet(registration.Prefix + "/health", () => Health(health, registration))
                .WithName(registration.Prefix + "/health").WithTags("live")
                .Produces<HealthResponse>().Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

            if (registration.Entry.Pipeline != PipelineNames.Llm)
                continue;
            OpenAiEndpoints.ChatCompletions(app.ServiceProvider).Map(app, LiveFrontEnd.OpenAi(registration), services);
            app.MapGet(registration.Prefix + "/v1/models", (Delegate)((HttpContext context) => ListModels(context, services, registration)))
                .WithName(registration.Prefix + "/v1/models").WithTags("live").Produces<ModelList>()
                .WithMetadata(new PipelineRouteMetadata(PipelineNames.Llm));
        }
    }

    /// <summary>200 while the model can serve or be loaded; 503 while it cannot (its load failed and is in back-off, the runner is stopping).</summary>
    private static IResult Health(LiveHealth health, LiveRegistration registration) => health.CanServe(registration)
        ? Results.Json(new HealthResponse("OK"), RunnerJson.Wire.HealthResponse)
        : Results.Json(new HealthResponse("ERROR"), RunnerJson.Wire.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);

    private static IResult ListModels(HttpContext context, RouteServices services, LiveRegistration registration)
    {
        if (!services.Auth.IsAuthorized(context.Request))
            return OpenAiErrors.For(context, new UnauthorizedException(PipelineContract.Llm.UnauthorizedMessage), PipelineContract.Llm);
        return Results.Json(new ModelList("list", [new ModelCard(registration.Entry.ModelId, "model", 0, "livepeer-runner")]), RunnerJson.Wire.ModelList);
    }
}
