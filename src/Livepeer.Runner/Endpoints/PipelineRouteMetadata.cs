namespace Livepeer.Runner.Endpoints;

/// <summary>Endpoint metadata: the pipeline a route runs, so /openapi.json can leave out the routes that cannot serve.</summary>
internal sealed record PipelineRouteMetadata(string Pipeline);
