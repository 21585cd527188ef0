using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Contract;

/// <summary>One PNG of an image reply with the seed and safety verdict the contract reports beside it.</summary>
public readonly record struct EncodedMedia(byte[] Png, long Seed, bool Nsfw);

/// <summary>
/// The contract's media replies (<c>ImageResponse</c>, <c>VideoResponse</c>, <c>AudioResponse</c>) written straight to
/// the response body: each data URL is base64-encoded from the encoded file into the body's buffer a chunk at a time
/// and flushed as it goes, so a reply is never a string (UTF-16 base64 is 2.7 times the PNG) nor whole in memory, and
/// a slow client holds back the writing instead of the runner buffering for it. The bytes are exactly what
/// <see cref="RunnerJson.Wire"/> writes for the same records (base64 and the seeds need no escaping).
/// </summary>
internal static class MediaReplies
{
    /// <summary>Input bytes per base64 chunk: a multiple of 3, so every chunk but the last has no padding; 1 MiB of text.</summary>
    private const int ChunkBytes = 3 * 256 * 1024;

    public static IResult Images(IReadOnlyList<EncodedMedia> images) =>
        new StreamedJson((writer, cancellationToken) => WriteImagesAsync(writer, images, cancellationToken));

    public static IResult Video(IReadOnlyList<RgbImage> frames, long seed, bool nsfw, int compressionLevel) =>
        new StreamedJson((writer, cancellationToken) => WriteVideoAsync(writer, frames, seed, nsfw, compressionLevel, cancellationToken));

    public static IResult Audio(byte[] wav) =>
        new StreamedJson((writer, cancellationToken) => WriteAudioAsync(writer, wav, cancellationToken));

    /// <summary><c>{"images":[{"url":"data:image/png;base64,…","seed":…,"nsfw":…},…]}</c></summary>
    public static async Task WriteImagesAsync(PipeWriter writer, IReadOnlyList<EncodedMedia> images, CancellationToken cancellationToken)
    {
        writer.Write("{\"images\":"u8);
        await WriteListAsync(writer, images.Count, i => (images[i].Png, images[i].Seed, images[i].Nsfw), cancellationToken).ConfigureAwait(false);
        writer.Write("}"u8);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>{"frames":[[{"url":…,"seed":…,"nsfw":…},…]]}</c>: the one video as one batch, every frame with the request's
    /// seed and the input image's verdict. Each frame is PNG-encoded into one reused buffer only when its turn comes, so
    /// the frames' PNGs (tens of MB for 25 frames) are never held together.
    /// </summary>
    public static async Task WriteVideoAsync(PipeWriter writer, IReadOnlyList<RgbImage> frames, long seed, bool nsfw, int compressionLevel, CancellationToken cancellationToken)
    {
        var png = new ArrayBufferWriter<byte>();
        writer.Write("{\"frames\":["u8);
        await WriteListAsync(writer, frames.Count, i =>
        {
            png.ResetWrittenCount();
            PngEncoder.Encode(frames[i], compressionLevel, png);
            return (png.WrittenMemory, seed, nsfw);
        }, cancellationToken).ConfigureAwait(false);
        writer.Write("]}"u8);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>{"audio":{"url":"data:audio/wav;base64,…"}}</c></summary>
    public static async Task WriteAudioAsync(PipeWriter writer, byte[] wav, CancellationToken cancellationToken)
    {
        writer.Write("{\"audio\":{\"url\":\""u8);
        await WriteDataUrlAsync(writer, DataUrl.WavPrefix, wav, cancellationToken).ConfigureAwait(false);
        writer.Write("\"}}"u8);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A JSON list of <c>Media</c>; <paramref name="item"/> gives the i-th PNG (valid until the next call), seed and verdict.</summary>
    private static async Task WriteListAsync(
        PipeWriter writer, int count, Func<int, (ReadOnlyMemory<byte> Png, long Seed, bool Nsfw)> item, CancellationToken cancellationToken)
    {
        writer.Write("["u8);
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (png, seed, nsfw) = item(i);
            writer.Write(i == 0 ? "{\"url\":\""u8 : ",{\"url\":\""u8);
            await WriteDataUrlAsync(writer, DataUrl.PngPrefix, png, cancellationToken).ConfigureAwait(false);
            writer.Write("\",\"seed\":"u8);
            WriteInteger(writer, seed);
            writer.Write(nsfw ? ",\"nsfw\":true}"u8 : ",\"nsfw\":false}"u8);
        }

        writer.Write("]"u8);
    }

    private static async Task WriteDataUrlAsync(PipeWriter writer, string prefix, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        WriteAscii(writer, prefix);
        for (var at = 0; at < payload.Length; at += ChunkBytes)
        {
            var chunk = payload.Span.Slice(at, Math.Min(ChunkBytes, payload.Length - at));
            var text = Base64.GetMaxEncodedToUtf8Length(chunk.Length);
            var status = Base64.EncodeToUtf8(chunk, writer.GetSpan(text), out _, out var written, isFinalBlock: true);
            if (status != OperationStatus.Done)
                throw new InvalidOperationException($"Base64 encoding stopped with {status}.");
            writer.Advance(written);
            var flushed = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flushed.IsCanceled || flushed.IsCompleted)
                throw new OperationCanceledException("The client stopped reading the reply.", cancellationToken);
        }
    }

    private static void WriteInteger(IBufferWriter<byte> writer, long value)
    {
        var span = writer.GetSpan(20);
        if (!Utf8Formatter.TryFormat(value, span, out var written))
            throw new InvalidOperationException("A long needs at most 20 bytes.");
        writer.Advance(written);
    }

    private static void WriteAscii(IBufferWriter<byte> writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
            span[i] = (byte)text[i];
        writer.Advance(text.Length);
    }
}
