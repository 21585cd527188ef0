namespace Livepeer.Runner.Endpoints;

/// <summary>Every pipeline route of the contract, in its order; each front end maps the ones it serves.</summary>
internal static class PipelineEndpoints
{
    public static IReadOnlyList<IPipelineEndpoint> All(IServiceProvider services) =>
    [
        TextToImageEndpoint.Create(services),
        ImageToImageEndpoint.Create(services),
        ImageToVideoEndpoint.Create(services),
        UpscaleEndpoint.Create(services),
        AudioToTextEndpoint.Create(services),
        SegmentAnything2Endpoint.Create(services),
        LlmEndpoint.Create(services),
        ImageToTextEndpoint.Create(services),
        TextToSpeechEndpoint.Create(services),
    ];

    /// <summary>Maps every pipeline route for <paramref name="frontEnd"/>.</summary>
    public static void MapPipelines(this IEndpointRouteBuilder app, FrontEnd frontEnd, RouteServices services)
    {
        foreach (var endpoint in All(app.ServiceProvider))
            endpoint.Map(app, frontEnd, services);
    }
}
