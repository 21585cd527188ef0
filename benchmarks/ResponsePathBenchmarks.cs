using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The response path of an image route: decode an upload, encode a 1024² PNG at several zlib levels, wrap it in a
/// base64 data URL, serialize the reply. Inputs are real photos from ../shared/assets.
/// </summary>
[MemoryDiagnoser]
public class ResponsePathBenchmarks
{
    private byte[] _pngUpload = null!;
    private byte[] _jpegUpload = null!;
    private RgbImage _image1024 = null!;
    private byte[] _png1024 = null!;
    private string _dataUrl = null!;

    [Params(1, 3, 6)]
    public int PngLevel { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pngUpload = File.ReadAllBytes(TestPaths.Asset("images", "astronaut.png"));
        _jpegUpload = File.ReadAllBytes(TestPaths.Asset("images", "rocket.jpg"));
        _image1024 = Tile(ImageDecoder.Decode(_pngUpload, long.MaxValue), 1024);
        _png1024 = PngEncoder.Encode(_image1024, PngLevel);
        _dataUrl = DataUrl.Png(_png1024);
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

    [Benchmark]
    public string PngDataUrl1024() => DataUrl.Png(_png1024);

    [Benchmark]
    public byte[] SerializeImageResponse() =>
        JsonSerializer.SerializeToUtf8Bytes(new ImageResponse([new Media(_dataUrl, 42, false)]), RunnerJson.Wire.ImageResponse);
}
