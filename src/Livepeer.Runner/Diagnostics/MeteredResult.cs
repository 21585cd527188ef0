namespace Livepeer.Runner.Diagnostics;

/// <summary>
/// A reply that reports its status and duration once its body is written, not when its headers go out: a streamed
/// reply (server-sent events) is measured to its last event, and one the client left mid-stream counts as 499.
/// </summary>
internal sealed class MeteredResult(IResult inner, Action<int> answered) : IResult, IStatusCodeHttpResult
{
    public const int ClientClosedRequest = 499;

    public int? StatusCode => (inner as IStatusCodeHttpResult)?.StatusCode;

    public async Task ExecuteAsync(HttpContext context)
    {
        try
        {
            await inner.ExecuteAsync(context);
        }
        finally
        {
            answered(context.RequestAborted.IsCancellationRequested ? ClientClosedRequest : context.Response.StatusCode);
        }
    }
}
