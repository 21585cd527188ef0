using System.IO.Pipelines;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The response path of an image route: decode an upload, encode a 1024² PNG at several zlib levels, wrap it in a
/// base64 data URL, write the reply. Inputs are real photos from ../shared/assets.
/// </summary>
[MemoryDiagnoser]
public class ResponsePathBenchmarks
{
    private byte[] _pngUpload = null!;
    private byte[] _jpegUpload = null!;
    private RgbImage _image1024 = null!;
    private byte[] _png1024 = null!;

    [Params(1, 3, 6)]
    public int PngLevel { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pngUpload = File.ReadAllBytes(TestPaths.Asset("images", "astronaut.png"));
        _jpegUpload = File.ReadAllBytes(TestPaths.Asset("images", "rocket.jpg"));
        _image1024 = Tile(ImageDecoder.Decode(_pngUpload, long.MaxValue), 1024);
        _png1024 = PngEncoder.Encode(_image1024, PngLevel);
    }

    /// <summary>A real photo repeated to 1024² so the encoder sees natural image statistics, not flat colour.</summary>
    private static RgbImage Tile(RgbImage source, int size)
    {
        var result = new RgbImage(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var from = (((y % source.Height) * source.Width) + (x % source.Width)) * 3;
                var to = ((y * size) + x) * 3;
                result.Pixels[to] = source.Pixels[from];
                result.Pixels[to + 1] = source.Pixels[from + 1];
                result.Pixels[to + 2] = source.Pixels[from + 2];
            }
        }

        return result;
    }

    [Benchmark]
    public RgbImage DecodePngUpload512() => ImageDecoder.Decode(_pngUpload, long.MaxValue);

    [Benchmark]
    public RgbImage DecodeJpegUpload640x427() => ImageDecoder.Decode(_jpegUpload, long.MaxValue);

    [Benchmark]
    public byte[] EncodePng1024() => PngEncoder.Encode(_image1024, PngLevel);

    /// <summary>The former reply path: the PNG as a base64 string, then the record serialized (two full copies).</summary>
    [Benchmark]
    public byte[] DataUrlStringThenSerialize() =>
        JsonSerializer.SerializeToUtf8Bytes(new ImageResponse([new Media(DataUrl.Png(_png1024), 42, false)]), RunnerJson.Wire.ImageResponse);

    /// <summary>Today's: base64 from the PNG straight into the body's pipe, a chunk at a time.</summary>
    [Benchmark]
    public async Task<long> StreamImageResponse()
    {
        var writer = PipeWriter.Create(Stream.Null);
        await MediaReplies.WriteImagesAsync(writer, [new EncodedMedia(_png1024, 42, false)], CancellationToken.None);
        await writer.CompleteAsync();
        return _png1024.Length;
    }
}
