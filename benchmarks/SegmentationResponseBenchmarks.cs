using System.Buffers;
using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Pipelines.Segmentation;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// The segment-anything-2 response at scale: three masks of a 1024² image (3.1 M floats) plus three 256² logit
/// planes, written as the contract's Python-list strings. Logit-like values (normal, σ 12, as float32) take the
/// shortest-round-trip path; return_logits=false masks are 0.0/1.0 and take the whole-number path.
/// </summary>
[MemoryDiagnoser]
public class SegmentationResponseBenchmarks
{
    private const int Side = 1024;

    private SegmentationResult _result = null!;
    private ArrayBufferWriter<byte> _buffer = null!;

    [Params(true, false)]
    public bool ReturnLogits { get; set; }

    /// <summary>Values written per call: 3 masks of 1024² + 3 logit planes of 256² + 3 scores.</summary>
    public static long Floats => (3L * Side * Side) + (3L * 256 * 256) + 3;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        float Logit() => (float)(12 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var masks = new float[3 * Side * Side];
        for (var i = 0; i < masks.Length; i++)
            masks[i] = ReturnLogits ? Logit() : (Logit() > 0 ? 1f : 0f);
        var logits = new float[3 * 256 * 256];
        for (var i = 0; i < logits.Length; i++)
            logits[i] = Math.Clamp(Logit(), -32f, 32f);
        _result = new SegmentationResult(Side, Side, masks, [0.97f, 0.88f, 0.51f], logits);
        _buffer = new ArrayBufferWriter<byte>(128 << 20);
        SegmentationResponseWriter.Write(_result, _buffer);
        Console.WriteLine($"// response bytes (return_logits={ReturnLogits}): {_buffer.WrittenCount:N0}; floats: {Floats:N0}");
    }

    [Benchmark]
    public Task WriteToStream() => SegmentationResponseWriter.WriteAsync(_result, Stream.Null, CancellationToken.None);

    [Benchmark]
    public int WriteToBufferWriter()
    {
        _buffer.ResetWrittenCount();
        SegmentationResponseWriter.Write(_result, _buffer);
        return _buffer.WrittenCount;
    }

    /// <summary>Only the number formatting of the three masks, for floats per second without the list layout.</summary>
    [Benchmark]
    public long FormatMaskFloats()
    {
        Span<byte> scratch = stackalloc byte[PythonFloat.MaxBytes];
        long total = 0;
        foreach (var value in _result.Masks)
            total += PythonFloat.Write(value, scratch);
        return total;
    }
}
