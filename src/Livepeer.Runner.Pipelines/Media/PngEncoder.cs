using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// Encodes replies as 8-bit RGB PNG, the only image type the contract emits. The zlib level is a setting
/// (RUNNER_PNG_COMPRESSION, 0–9; level 1 is run-length deflate, see <see cref="Band"/>). Rows are filtered per row by libpng's minimum-sum heuristic and the image is cut
/// into bands deflated in parallel: each band is its own raw deflate stream ended on a sync flush (byte-aligned,
/// not final), so the bands concatenate into one zlib stream whose Adler-32 is combined from theirs. A band loses
/// only the dictionary of the band above; see the README's benchmark figures.
/// </summary>
public static class PngEncoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // Below this much filtered data a band is not worth a thread and a lost dictionary.
    private const int MinBandBytes = 256 * 1024;

    public static byte[] Encode(RgbImage image, int compressionLevel)
    {
        var writer = new ArrayBufferWriter<byte>();
        Encode(image, compressionLevel, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the PNG to <paramref name="output"/>: a pooled writer saves the final copy.</summary>
    public static void Encode(RgbImage image, int compressionLevel, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(compressionLevel, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);

        var rowBytes = image.Width * PngFilters.Bpp;
        long filteredBytes = (long)(rowBytes + 1) * image.Height;
        var bandCount = (int)Math.Clamp(filteredBytes / MinBandBytes, 1, Math.Min(image.Height, Environment.ProcessorCount * 2));
        var bands = new Band[bandCount];
        try
        {
            Parallel.For(0, bandCount, index =>
            {
                var firstRow = (int)((long)image.Height * index / bandCount);
                var endRow = (int)((long)image.Height * (index + 1) / bandCount);
                bands[index] = Band.Compress(image, firstRow, endRow, compressionLevel, final: index == bandCount - 1);
            });

            Write(output, Signature);
            WriteHeader(output, image);

            var adler = Adler32.Initial;
            for (var i = 0; i < bandCount; i++)
                adler = i == 0 ? bands[0].Adler : Adler32.Combine(adler, bands[i].Adler, bands[i].FilteredLength);

            Span<byte> prefix = stackalloc byte[2];
            Span<byte> suffix = stackalloc byte[4];
            for (var i = 0; i < bandCount; i++)
            {
                var hasPrefix = i == 0;
                var hasSuffix = i == bandCount - 1;
                if (hasPrefix)
                    ZLibHeader(compressionLevel, prefix);
                if (hasSuffix)
                    BinaryPrimitives.WriteUInt32BigEndian(suffix, adler);
                WriteChunk(output, "IDAT"u8, hasPrefix ? prefix : [], bands[i].Deflated, hasSuffix ? suffix : []);
            }

            WriteChunk(output, "IEND"u8, [], [], []);
        }
        finally
        {
            foreach (var band in bands)
                band?.Dispose();
        }
    }

    private static void WriteHeader(IBufferWriter<byte> output, RgbImage image)
    {
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: RGB
        header[10] = header[11] = header[12] = 0; // deflate, adaptive filtering, no interlace
        WriteChunk(output, "IHDR"u8, header, [], []);
    }

    // CMF 0x78: deflate with a 32 KiB window; FLG's level hint as zlib writes it, check bits making CMF·256+FLG ≡ 0 (mod 31).
    private static void ZLibHeader(int level, Span<byte> header)
    {
        header[0] = 0x78;
        header[1] = level switch { <= 1 => 0x01, <= 5 => 0x5E, 6 => 0x9C, _ => 0xDA };
    }

    /// <summary>A chunk whose data is three consecutive pieces, so a band's output is not copied to add framing.</summary>
    private static void WriteChunk(IBufferWriter<byte> output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, a.Length + b.Length + c.Length);
        Write(output, word);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(a);
        crc.Append(b);
        crc.Append(c);
        Write(output, type);
        Write(output, a);
        Write(output, b);
        Write(output, c);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        Write(output, word);
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        data.CopyTo(output.GetSpan(data.Length));
        output.Advance(data.Length);
    }

    /// <summary>One band's rows, filtered and deflated; buffers come from the shared pool.</summary>
    private sealed class Band : IDisposable
    {
        private byte[]? _buffer;
        private int _length;

        public uint Adler { get; private init; }

        public long FilteredLength { get; private init; }

        public ReadOnlySpan<byte> Deflated => _buffer.AsSpan(0, _length);

        public static Band Compress(RgbImage image, int firstRow, int endRow, int level, bool final)
        {
            var rowBytes = image.Width * PngFilters.Bpp;
            var filteredLength = (rowBytes + 1) * (endRow - firstRow);
            var filtered = ArrayPool<byte>.Shared.Rent(filteredLength);
            var scratch = ArrayPool<byte>.Shared.Rent(4 * rowBytes);
            var zeros = firstRow == 0 ? ArrayPool<byte>.Shared.Rent(rowBytes) : null;
            try
            {
                var pixels = image.Pixels.AsSpan();
                if (zeros is not null)
                    Array.Clear(zeros, 0, rowBytes);
                for (var y = firstRow; y < endRow; y++)
                {
                    var row = pixels.Slice(y * rowBytes, rowBytes);
                    var prior = y == 0 ? zeros.AsSpan(0, rowBytes) : pixels.Slice((y - 1) * rowBytes, rowBytes);
                    PngFilters.FilterRow(row, prior, filtered.AsSpan((y - firstRow) * (rowBytes + 1), rowBytes + 1), scratch);
                }

                var data = filtered.AsSpan(0, filteredLength);
                var (buffer, length) = Deflate(data, level, final);
                return new Band { _buffer = buffer, _length = length, Adler = Adler32.Update(Adler32.Initial, data), FilteredLength = filteredLength };
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(filtered);
                ArrayPool<byte>.Shared.Return(scratch);
                if (zeros is not null)
                    ArrayPool<byte>.Shared.Return(zeros);
            }
        }

        private static (byte[] Buffer, int Length) Deflate(ReadOnlySpan<byte> data, int level, bool final)
        {
            // Deflate never grows data by more than its stored-block framing; n/1024 + 64 is a wide margin over it.
            var buffer = ArrayPool<byte>.Shared.Rent(data.Length + (data.Length >> 10) + 64);
            try
            {
                using var sink = new MemoryStream(buffer, 0, buffer.Length, writable: true);
                int length;
                using (var deflate = new DeflateStream(sink, Options(level), leaveOpen: true))
                {
                    deflate.Write(data);
                    // Flush is zlib's sync flush: the output ends byte-aligned on an empty stored block that is not
                    // final, so the next band's stream may follow it. Closing would add a final block: dropped below.
                    if (!final)
                        deflate.Flush();
                    length = (int)sink.Position;
                }

                return (buffer, final ? (int)sink.Position : length);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }

        /// <summary>
        /// Level 1 is run-length deflate (zlib's Z_RLE: matches at distance 1 only, dynamic Huffman codes), which
        /// zlib documents as made for PNG's filtered rows: on photos it is the fastest and also smaller than
        /// zlib-ng's levels 2–6, while zlib-ng's own level 1 (static codes) is some 40 % larger than classic zlib's.
        /// Levels 2–9 search for longer matches, which pays on flat colour, text and repeated patterns.
        /// </summary>
        private static ZLibCompressionOptions Options(int level) => level == 1
            ? new ZLibCompressionOptions { CompressionLevel = 6, CompressionStrategy = ZLibCompressionStrategy.RunLengthEncoding }
            : new ZLibCompressionOptions { CompressionLevel = level, CompressionStrategy = ZLibCompressionStrategy.Default };

        public void Dispose()
        {
            if (_buffer is not null)
                ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
