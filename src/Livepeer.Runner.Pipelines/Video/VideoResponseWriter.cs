using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// Writes a <see cref="VideoOutput"/> as the contract's <c>VideoResponse</c>,
/// <c>{"frames":[[{"url":"data:image/png;base64,…","seed":S,"nsfw":B}, …]]}</c> (one batch, one entry per frame).
/// Each frame is PNG-encoded into one reused buffer and base64-encoded straight into the writer, so the 25 data URLs of
/// a video (tens of MB) are never built as strings or held together.
/// </summary>
public static class VideoResponseWriter
{
    public const string ContentType = "application/json";

    /// <summary>Bytes base64-encoded per piece: a multiple of 3, so the pieces join without padding.</summary>
    private const int Piece = 3 * 16 * 1024;

    private static readonly byte[] Start = "{\"frames\":[["u8.ToArray();
    private static readonly byte[] End = "]]}"u8.ToArray();

    /// <summary>Writes the whole response to <paramref name="writer"/> (an ArrayBufferWriter, a benchmark's sink…).</summary>
    public static void Write(VideoOutput output, int compressionLevel, IBufferWriter<byte> writer)
    {
        var png = new ArrayBufferWriter<byte>();
        writer.Write(Start);
        for (var i = 0; i < output.Frames.Count; i++)
            WriteFrame(output, i, compressionLevel, png, writer);
        writer.Write(End);
    }

    /// <summary>
    /// Writes the whole response to an HTTP response body, flushing after every frame so the body streams out; stops
    /// early, without an exception, when the reader has gone (the client disconnected).
    /// </summary>
    public static async Task WriteAsync(VideoOutput output, int compressionLevel, PipeWriter writer, CancellationToken cancellationToken)
    {
        var png = new ArrayBufferWriter<byte>();
        writer.Write(Start);
        for (var i = 0; i < output.Frames.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteFrame(output, i, compressionLevel, png, writer);
            if ((await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
                return;
        }

        writer.Write(End);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteFrame(VideoOutput output, int index, int compressionLevel, ArrayBufferWriter<byte> png, IBufferWriter<byte> writer)
    {
        png.ResetWrittenCount();
        PngEncoder.Encode(output.Frames[index], compressionLevel, png);
        writer.Write(Encoding.ASCII.GetBytes((index == 0 ? "" : ",") + "{\"url\":\"" + DataUrl.PngPrefix));
        var data = png.WrittenSpan;
        for (var offset = 0; offset < data.Length; offset += Piece)
        {
            var piece = data.Slice(offset, Math.Min(Piece, data.Length - offset));
            var span = writer.GetSpan(Base64.GetMaxEncodedToUtf8Length(piece.Length));
            Base64.EncodeToUtf8(piece, span, out _, out var written);
            writer.Advance(written);
        }

        var seed = output.Seed.ToString(CultureInfo.InvariantCulture);
        writer.Write(Encoding.ASCII.GetBytes($"\",\"seed\":{seed},\"nsfw\":{(output.Nsfw ? "true" : "false")}}}"));
    }
}
