using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Segmentation;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>The MasksResponse body against what ai-runner's Python writes for the same float32 arrays.</summary>
public sealed class SegmentationResponseWriterTests
{
    /// <summary>
    /// Two 2×3 masks, two scores, two 256² logit planes. The expected text and hash come from /usr/bin/python3:
    /// <c>json.dumps({"masks": str(masks.tolist()), "scores": …, "logits": …}, separators=(',', ':'))</c>.
    /// </summary>
    private static SegmentationResult Small()
    {
        float[] masks = [0.5f, -0f, 1e-5f, float.NaN, float.PositiveInfinity, -3.25f, 1f, 0f, 0.1f, -1e-45f, 3.4028235e38f, 123456792f];
        var logits = new float[2 * 256 * 256];
        logits[0] = -32f;
        logits[1] = 0.7f;
        logits[(256 * 256) - 1] = 31.5f;
        logits[256 * 256] = 1e-5f;
        logits[(256 * 256) + (128 * 256) + 7] = -2.5f;
        return new SegmentationResult(3, 2, masks, [0.9f, 0.25f], logits);
    }

    private static byte[] Bytes(SegmentationResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SegmentationResponseWriter.Write(result, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Write_GivesPythonsStrOfEachList()
    {
        var root = JsonDocument.Parse(SegmentationResponseWriter.ToJson(Small())).RootElement;

        Assert.Equal(["masks", "scores", "logits"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            "[[[0.5, -0.0, 9.999999747378752e-06], [nan, inf, -3.25]], [[1.0, 0.0, 0.10000000149011612], [-1.401298464324817e-45, 3.4028234663852886e+38, 123456792.0]]]",
            root.GetProperty("masks").GetString());
        Assert.Equal("[0.8999999761581421, 0.25]", root.GetProperty("scores").GetString());
        Assert.StartsWith("[[[-32.0, 0.699999988079071, 0.0, 0.0,", root.GetProperty("logits").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_IsByteForByteWhatPythonSends()
    {
        var bytes = Bytes(Small());

        Assert.Equal(656641, bytes.Length);
        Assert.Equal("832d32caec56f12c68d453c32b2c409625a5d17016fa8ed6cee7debf7635cc46", Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public async Task WriteAsync_ToAStream_WritesTheSameBytesAcrossManyChunks()
    {
        var random = new Random(7);
        var result = new SegmentationResult(
            300, 200,
            Enumerable.Range(0, 3 * 300 * 200).Select(_ => (float)((random.NextDouble() * 64) - 32)).ToArray(),
            [0.7f, 0.5f, 0.1f],
            Enumerable.Range(0, 3 * 256 * 256).Select(_ => (float)random.NextDouble()).ToArray());
        using var stream = new MemoryStream();

        await SegmentationResponseWriter.WriteAsync(result, stream, CancellationToken.None);

        var expected = Bytes(result);
        Assert.True(expected.Length > 20 * 64 * 1024);
        Assert.Equal(expected, stream.ToArray());
        var masks = JsonDocument.Parse(expected).RootElement.GetProperty("masks").GetString()!;
        Assert.Equal((3 * 300 * 200) - 1, masks.Split(", ").Length - 1);
        Assert.StartsWith("[[[", masks, StringComparison.Ordinal);
        Assert.EndsWith("]]]", masks, StringComparison.Ordinal);
        Assert.Equal((3 * 200) - 1, masks.Split("], [").Length - 1);
        Assert.Equal(2, masks.Split("]], [[").Length - 1);
    }

    [Fact]
    public async Task WriteAsync_ToAPipe_WritesTheSameBytes()
    {
        var result = new SegmentationResult(
            256, 256, Enumerable.Range(0, 3 * 256 * 256).Select(i => (i % 97) - 48.5f).ToArray(), [0.5f, 0.4f, 0.3f], new float[3 * 256 * 256]);
        using var stream = new MemoryStream();
        var pipe = System.IO.Pipelines.PipeWriter.Create(stream);

        await SegmentationResponseWriter.WriteAsync(result, pipe, CancellationToken.None);
        await pipe.CompleteAsync();

        Assert.Equal(Bytes(result), stream.ToArray());
    }

    [Fact]
    public async Task WriteAsync_StopsWhenCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SegmentationResponseWriter.WriteAsync(Small(), new MemoryStream(), cancelled.Token));
    }
}
