using System.IO.Pipelines;

namespace Livepeer.Runner.Http;

/// <summary>
/// A 200 <c>application/json</c> reply whose body <paramref name="write"/> produces straight into the response's pipe
/// (media data URLs, segmentation masks: tens of MB that are never built as one string).
/// </summary>
internal sealed class StreamedJson(Func<PipeWriter, CancellationToken, Task> write) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => "application/json";

    public Task ExecuteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentType;
        return write(context.Response.BodyWriter, context.RequestAborted);
    }
}
