using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Livepeer.Runner.Hosting;

/// <summary>
/// Documents a route's request body without <c>Accepts()</c>: that metadata also makes routing answer 415 to any
/// other content type, where ai-runner answers a body of the wrong type with its 422 validation errors.
/// </summary>
internal sealed record RequestBodyDoc(Type Type, string ContentType);

internal static class RequestBodyDocs
{
    public static RouteHandlerBuilder DocumentsBody<T>(this RouteHandlerBuilder builder, string contentType) =>
        builder.WithMetadata(new RequestBodyDoc(typeof(T), contentType));

    public static async Task Apply(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDoc>().FirstOrDefault() is not { } doc)
            return;
        var schema = await context.GetOrCreateSchemaAsync(doc.Type, null, cancellationToken);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { [doc.ContentType] = new() { Schema = schema } },
        };
    }
}
