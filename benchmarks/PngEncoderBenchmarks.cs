using System.Buffers;
using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Our PNG encoder against the SkiaSharp one it replaced, on a natural photo (coffee.png) resized bicubically to
/// 1024². The sizes are printed in the setup; benchmarks/peers/png_peer.py times Pillow on the same pixels
/// (written to BenchmarkDotNet.Artifacts/png-peer-1024.png).
/// </summary>
[MemoryDiagnoser]
public class PngEncoderBenchmarks
{
    private RgbImage _image = null!;
    private readonly ArrayBufferWriter<byte> _writer = new();

    [Params(1, 6)]
    public int Level { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _image = Photo1024();
        var ours = PngEncoder.Encode(_image, Level);
        var skia = SkiaPngBaseline.Encode(_image, Level);
        Console.WriteLine($"// PNG 1024² level {Level}: ours {ours.Length:N0} B, SkiaSharp {skia.Length:N0} B");
        Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
        File.WriteAllBytes(Path.Combine("BenchmarkDotNet.Artifacts", "png-peer-1024.png"), PngEncoder.Encode(_image, 9));
    }

    internal static RgbImage Photo1024() =>
        PilResize.Resize(ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "coffee.png")), long.MaxValue), 1024, 1024);

    [Benchmark(Baseline = true)]
    public byte[] SkiaSharp() => SkiaPngBaseline.Encode(_image, Level);

    [Benchmark]
    public byte[] Ours() => PngEncoder.Encode(_image, Level);

    /// <summary>The IBufferWriter overload into a reused writer: no final copy, no output allocation.</summary>
    [Benchmark]
    public int OursIntoWriter()
    {
        _writer.ResetWrittenCount();
        PngEncoder.Encode(_image, Level, _writer);
        return _writer.WrittenCount;
    }
}
