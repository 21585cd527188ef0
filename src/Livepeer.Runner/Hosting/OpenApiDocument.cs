using Livepeer.Runner.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Livepeer.Runner.Hosting;

/// <summary>/openapi.json, generated from the routes and request records: uploads are binary form parts.</summary>
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
