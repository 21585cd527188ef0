using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests;

/// <summary>
/// Our PNG encoder against two independent decoders: SkiaSharp (libpng) in-process and Pillow (zlib) in a
/// Python process that also checks every chunk CRC and inflates the zlib stream, Adler-32 included.
/// </summary>
public sealed class PngEncoderTests
{
    // Prints, per file, the decoded RGB bytes' SHA-256 after checking chunk CRCs, the zlib stream and its length.
    private const string PillowCheck = """
        import sys, hashlib, struct, zlib
        from PIL import Image
        for path in sys.argv[1:]:
            data = open(path, 'rb').read()
            at, idat, width, height = 8, b'', 0, 0
            while at < len(data):
                (n,) = struct.unpack('>I', data[at:at + 4])
                kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + n]
                (crc,) = struct.unpack('>I', data[at + 8 + n:at + 12 + n])
                assert zlib.crc32(kind + body) == crc, 'bad CRC in ' + kind.decode()
                if kind == b'IHDR':
                    width, height = struct.unpack('>II', body[:8])
                if kind == b'IDAT':
                    idat += body
                at += 12 + n
            d = zlib.decompressobj()
            raw = d.decompress(idat)
            assert d.eof and not d.unused_data, 'zlib stream not ended exactly'
            assert len(raw) == (width * 3 + 1) * height, 'filtered length'
            image = Image.open(path)
            assert image.mode == 'RGB'
            print(hashlib.sha256(image.tobytes()).hexdigest())
        """;

    private static RgbImage Natural(int width, int height)
    {
        var photo = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "coffee.png")), long.MaxValue);
        var image = new RgbImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var from = (((y % photo.Height) * photo.Width) + (x % photo.Width)) * 3;
                photo.Pixels.AsSpan(from, 3).CopyTo(image.Pixels.AsSpan(((y * width) + x) * 3));
            }
        }

        return image;
    }

    private static void AssertDecodesExactly(IReadOnlyList<(RgbImage Image, int Level)> cases)
    {
        var directory = Directory.CreateTempSubdirectory("png-encoder-");
        try
        {
            var paths = new List<string>();
            for (var i = 0; i < cases.Count; i++)
            {
                var (image, level) = cases[i];
                var png = PngEncoder.Encode(image, level);
                var decoded = ImageDecoder.Decode(png, long.MaxValue);
                Assert.Equal((image.Width, image.Height), (decoded.Width, decoded.Height));
                Assert.True(image.Pixels.AsSpan().SequenceEqual(decoded.Pixels), $"Skia decoded other pixels for {image.Width}×{image.Height} level {level}");
                var path = Path.Combine(directory.FullName, $"{i}.png");
                File.WriteAllBytes(path, png);
                paths.Add(path);
            }

            var hashes = RunPillow(paths);
            for (var i = 0; i < cases.Count; i++)
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(cases[i].Image.Pixels)), hashes[i]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string[] RunPillow(IEnumerable<string> paths)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(PillowCheck);
        foreach (var path in paths)
            start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors.Result);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void EveryLevel_DecodesToTheSamePixels()
    {
        var image = Natural(701, 503); // about 1 MB filtered: several bands
        AssertDecodesExactly([.. Enumerable.Range(0, 10).Select(level => (image, level))]);
    }

    [Fact]
    public void DegenerateAndOddSizes_DecodeToTheSamePixels()
    {
        AssertDecodesExactly([(Natural(1, 1), 1), (Natural(1, 300), 1), (Natural(300, 1), 6), (Natural(33, 17), 1), (Natural(2, 2), 9), (Natural(11, 1), 0)]);
    }

    [Fact]
    public void LargeImage_DecodesToTheSamePixels()
    {
        AssertDecodesExactly([(Natural(2048, 1536), 1), (Natural(2048, 1536), 6)]);
    }

    [Fact]
    public void NoiseAndFlatColour_DecodeToTheSamePixels()
    {
        var noise = new RgbImage(517, 389);
        new Random(23).NextBytes(noise.Pixels);
        var flat = new RgbImage(640, 480);
        flat.Pixels.AsSpan().Fill(200);
        AssertDecodesExactly([(noise, 1), (noise, 0), (flat, 1), (flat, 9)]);
    }

    [Fact]
    public void BufferWriterOverload_WritesTheSameBytes()
    {
        var image = Natural(300, 200);
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        PngEncoder.Encode(image, 6, writer);
        Assert.Equal(PngEncoder.Encode(image, 6), writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    public void LevelOutsideZeroToNine_IsRefused(int level) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(new RgbImage(2, 2), level));

    [Fact]
    public void Adler32_MatchesZlibOnAKnownInput() =>
        Assert.Equal(0x11E60398u, Adler32.Update(Adler32.Initial, "Wikipedia"u8));

    [Fact]
    public void Adler32_VectorAndCombinedChecksums_AgreeWithTheByteByByteDefinition()
    {
        var data = new byte[200_003];
        new Random(7).NextBytes(data);
        Assert.Equal(Reference(data), Adler32.Update(Adler32.Initial, data));
        foreach (var cut in new[] { 0, 1, 31, 5536, 100_000, data.Length })
        {
            var combined = Adler32.Combine(Adler32.Update(Adler32.Initial, data.AsSpan(0, cut)), Adler32.Update(Adler32.Initial, data.AsSpan(cut)), data.Length - cut);
            Assert.Equal(Reference(data), combined);
        }

        static uint Reference(ReadOnlySpan<byte> bytes)
        {
            uint a = 1, b = 0;
            foreach (var value in bytes)
            {
                a = (a + value) % 65521;
                b = (b + a) % 65521;
            }

            return (b << 16) | a;
        }
    }

    [Fact]
    public void ZlibStream_InflatesWithDotNetToo()
    {
        var image = Natural(640, 480);
        var png = PngEncoder.Encode(image, 1);
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            if (png.AsSpan(at + 4, 4).SequenceEqual("IDAT"u8))
                idat.Write(png, at + 8, length);
            at += 12 + length;
        }

        idat.Position = 0;
        using var inflate = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflate.CopyTo(raw);
        Assert.Equal(((640 * 3) + 1) * 480, raw.Length);
    }
}
