using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Endpoints;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Engines;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Livepeer.Runner.Hosting;

/// <summary>
/// /openapi.json, generated from the routes and request records: uploads are binary form parts, and a pipeline's routes
/// are listed only when a configured model serves the pipeline and this build has its engine (the others answer 404
/// or the "engine is not built" 500, nothing a client can use).
/// </summary>
internal static class OpenApiDocument
{
    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Livepeer.Runner",
                Description = "A drop-in, many-model replacement for Livepeer's ai-runner (batch pipelines).",
                Version = RunnerVersion.Resolve(null).Value,
            };
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, context, _) =>
        {
            var catalog = context.ApplicationServices.GetRequiredService<ModelCatalog>();
            var engines = context.ApplicationServices.GetRequiredService<EngineRegistry>();
            foreach (var description in context.DescriptionGroups.SelectMany(group => group.Items))
            {
                if (description.ActionDescriptor.EndpointMetadata.OfType<PipelineRouteMetadata>().FirstOrDefault() is { } route
                    && !(catalog.Serves(route.Pipeline) && engines.IsBuilt(route.Pipeline)))
                    document.Paths?.Remove("/" + description.RelativePath);
            }

            return Task.CompletedTask;
        });
        options.AddOperationTransformer(RequestBodyDocs.Apply);
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(UploadedFile))
            {
                schema.Type = JsonSchemaType.String;
                schema.Format = "binary";
                schema.Properties?.Clear();
                schema.Required?.Clear();
            }

            return Task.CompletedTask;
        });
    }
}
