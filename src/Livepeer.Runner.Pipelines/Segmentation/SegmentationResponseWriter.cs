using System.Buffers;
using System.IO.Pipelines;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// Writes a <see cref="SegmentationResult"/> as the contract's <c>MasksResponse</c>,
/// <c>{"masks":"[[[…]]]","scores":"[…]","logits":"[[[…]]]"}</c>: each value is the Python <c>str()</c> of the nested
/// list (<c>", "</c> separators, floats as <see cref="PythonFloat"/>). The list text needs no JSON escaping (digits,
/// signs, <c>.e[], </c>, <c>nan</c>, <c>inf</c>). A 1024² three-mask response is about 67 MB of text: it is never
/// built whole. Blocks of values are formatted in parallel (a few blocks in flight, bounded memory) and written in order.
/// </summary>
public static class SegmentationResponseWriter
{
    /// <summary>Values per block: about 0.3–0.7 MB of text, large enough to amortise a parallel step.</summary>
    private const int BlockValues = 16 * 1024;

    private static readonly byte[] Start = "{\"masks\":\""u8.ToArray();
    private static readonly byte[] AfterMasks = "\",\"scores\":\""u8.ToArray();
    private static readonly byte[] AfterScores = "\",\"logits\":\""u8.ToArray();
    private static readonly byte[] End = "\"}"u8.ToArray();

    /// <summary>Blocks formatted at once: enough to keep the cores busy, few enough to bound memory (≤ ~6 MB).</summary>
    private static int Window => Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Writes the whole response to <paramref name="writer"/> (a PipeWriter, an ArrayBufferWriter…).</summary>
    public static void Write(SegmentationResult result, IBufferWriter<byte> writer)
    {
        foreach (var (values, shape, literal) in Parts(result))
        {
            if (literal is not null)
            {
                writer.Write(literal);
                continue;
            }

            foreach (var window in Windows(values!, shape!))
            {
                using (window)
                {
                    foreach (var block in window.Blocks)
                        writer.Write(block.Span);
                }
            }
        }
    }

    /// <summary>Writes the whole response to <paramref name="stream"/> (an HTTP response body), block by block.</summary>
    public static async Task WriteAsync(SegmentationResult result, Stream stream, CancellationToken cancellationToken)
    {
        foreach (var (values, shape, literal) in Parts(result))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (literal is not null)
            {
                await stream.WriteAsync(literal, cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (var window in Windows(values!, shape!))
            {
                using (window)
                {
                    foreach (var block in window.Blocks)
                        await stream.WriteAsync(block, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Writes the whole response to <paramref name="writer"/> (ASP.NET Core's <c>Response.BodyWriter</c>), flushing
    /// after every window of blocks so the body streams out instead of collecting in the pipe. Stops early, without
    /// an exception, when the reader has gone (the client disconnected).
    /// </summary>
    public static async Task WriteAsync(SegmentationResult result, PipeWriter writer, CancellationToken cancellationToken)
    {
        foreach (var (values, shape, literal) in Parts(result))
        {
            if (literal is not null)
            {
                writer.Write(literal);
                continue;
            }

            foreach (var window in Windows(values!, shape!))
            {
                using (window)
                {
                    foreach (var block in window.Blocks)
                        writer.Write(block.Span);
                }

                var flushed = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                    return;
            }
        }

        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The response as one string: for tests and small results only.</summary>
    public static string ToJson(SegmentationResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(result, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static IEnumerable<(float[]? Values, int[]? Shape, byte[]? Literal)> Parts(SegmentationResult result)
    {
        yield return (null, null, Start);
        yield return (result.Masks, [result.Count, result.Height, result.Width], null);
        yield return (null, null, AfterMasks);
        yield return (result.Scores, [result.Count], null);
        yield return (null, null, AfterScores);
        yield return (result.Logits, [result.Count, SegmentationResult.LogitSide, SegmentationResult.LogitSide], null);
        yield return (null, null, End);
    }

    /// <summary>The list text of <paramref name="values"/>, a window of formatted blocks at a time.</summary>
    private static IEnumerable<FormattedWindow> Windows(float[] values, int[] shape)
    {
        var blocks = (int)((values.LongLength + BlockValues - 1) / BlockValues);
        for (var first = 0; first < blocks; first += Window)
            yield return FormattedWindow.Format(values, shape, first, Math.Min(Window, blocks - first));
    }

    /// <summary>Consecutive blocks formatted into pooled buffers, returned to the pool on dispose.</summary>
    private sealed class FormattedWindow : IDisposable
    {
        private readonly byte[][] _buffers;
        private readonly int[] _lengths;

        private FormattedWindow(int count)
        {
            _buffers = new byte[count][];
            _lengths = new int[count];
        }

        public IEnumerable<ReadOnlyMemory<byte>> Blocks => _buffers.Select((buffer, i) => (ReadOnlyMemory<byte>)buffer.AsMemory(0, _lengths[i]));

        public static FormattedWindow Format(float[] values, int[] shape, int firstBlock, int count)
        {
            var window = new FormattedWindow(count);
            void FormatBlock(int i)
            {
                var start = (long)(firstBlock + i) * BlockValues;
                var end = Math.Min(values.LongLength, start + BlockValues);
                var buffer = ArrayPool<byte>.Shared.Rent(PythonListFormatter.MaxBytes((int)(end - start), shape.Length));
                window._buffers[i] = buffer;
                window._lengths[i] = PythonListFormatter.Format(values, shape, start, end, buffer);
            }

            if (count == 1)
                FormatBlock(0);
            else
                Parallel.For(0, count, FormatBlock);
            return window;
        }

        public void Dispose()
        {
            foreach (var buffer in _buffers)
            {
                if (buffer is not null)
                    ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
