using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Http;

internal static class BodyReader
{
    /// <summary>The largest JSON body any route reads (an LLM conversation is the biggest expected).</summary>
    public const int JsonLimit = 32 * 1024 * 1024;

    /// <summary>
    /// Reads a whole body into memory, refusing one larger than <paramref name="limit"/> as too large: the batch and
    /// OpenAI front ends answer that 400 (500 on /llm, as ai-runner), the Live Runner front end 413.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        var tooLarge = false;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            // Past the limit the rest is read and dropped, as FormReader drains an oversize upload: a client still
            // sending (through a proxy, often) then gets the JSON error instead of a connection closed under it.
            tooLarge |= buffer.Length + read > limit;
            if (!tooLarge)
                buffer.Write(chunk, 0, read);
        }

        if (tooLarge)
            throw new PayloadTooLargeException($"Request body is larger than {limit} bytes.");
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
