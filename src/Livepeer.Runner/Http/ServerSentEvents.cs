using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Livepeer.Runner.Http;

/// <summary>
/// A <c>text/event-stream; charset=utf-8</c> reply: each event is <c>data: &lt;compact JSON&gt;\n\n</c>, flushed at
/// once, as ai-runner and OpenAI stream. The writer runs after the 200 headers are sent.
/// </summary>
internal sealed class ServerSentEvents(Func<ServerSentEvents.Writer, CancellationToken, Task> write, IDisposable? owned = null) : IResult
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Suffix = "\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext context)
    {
        try
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            await response.StartAsync(context.RequestAborted);
            await write(new Writer(response), context.RequestAborted);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    internal sealed class Writer(HttpResponse response)
    {
        public async Task JsonAsync<T>(T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        {
            await response.Body.WriteAsync(Prefix, cancellationToken);
            await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, type), cancellationToken);
            await response.Body.WriteAsync(Suffix, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }

        public async Task RawAsync(string data, CancellationToken cancellationToken)
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"), cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
    }
}
