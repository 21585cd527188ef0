using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>Reading safetensors files: dtypes to float32, metadata, and every malformed file refused with its reason.</summary>
public sealed class SafetensorsFileTests : IDisposable
{
    private readonly SafetensorsTestWriter _writer = new();

    public void Dispose() => _writer.Dispose();

    private static float[] ReadOnly(string path, string name)
    {
        using var file = SafetensorsFile.Open(path);
        return file.ReadFloat32(file.Tensors[name]);
    }

    private static string Refusal(string path) => Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose()).Message;

    [Fact]
    public void Open_ReadsShapesOffsetsAndMetadata()
    {
        var path = _writer.F32("a", [2, 3], 1, 2, 3, 4, 5, 6).F32("b", [], 7).Write(new Dictionary<string, string> { ["ss_network_alpha"] = "8" });

        using var file = SafetensorsFile.Open(path);

        Assert.Equal(["a", "b"], file.Tensors.Keys.Order());
        Assert.Equal([2L, 3L], file.Tensors["a"].Shape);
        Assert.Equal(24, file.Tensors["a"].ByteLength);
        Assert.Equal(file.Tensors["a"].End, file.Tensors["b"].Begin);
        Assert.Equal("8", file.Metadata["ss_network_alpha"]);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], file.ReadFloat32(file.Tensors["a"]));
        Assert.Equal([7f], file.ReadFloat32(file.Tensors["b"]));
    }

    [Fact]
    public void ReadFloat32_ConvertsFloat16()
    {
        // 1.5, -2, 1, 65504 (the largest half), 2^-24 (the smallest subnormal)
        var path = _writer.Bits16("h", "F16", [5], 0x3E00, 0xC000, 0x3C00, 0x7BFF, 0x0001).Write();

        Assert.Equal([1.5f, -2f, 1f, 65504f, MathF.Pow(2, -24)], ReadOnly(path, "h"));
    }

    [Fact]
    public void ReadFloat32_ConvertsBFloat16()
    {
        // 1.5, -2, 3.140625 (pi in bf16), 2^100 (bf16 keeps float32's range)
        var path = _writer.Bits16("b", "BF16", [2, 2], 0x3FC0, 0xC000, 0x4049, 0x7180).Write();

        Assert.Equal([1.5f, -2f, 3.140625f, MathF.Pow(2, 100)], ReadOnly(path, "b"));
    }

    [Fact]
    public void ReadFloat32_ReadsATensorLargerThanOneReadChunk()
    {
        var values = Enumerable.Range(0, 300_000).Select(i => i * 0.5f).ToArray();
        var path = _writer.F32("big", [600, 500], values).Write();

        Assert.Equal(values, ReadOnly(path, "big"));
    }

    [Fact]
    public void ReadFloat32_RefusesANonFloatDtype()
    {
        var path = _writer.Raw("ids", "I64", [1], new byte[8]).Write();
        using var file = SafetensorsFile.Open(path);

        var error = Assert.Throws<SafetensorsFormatException>(() => file.ReadFloat32(file.Tensors["ids"]));
        Assert.Contains("I64", error.Message);
    }

    [Fact]
    public void Open_RefusesAFileShorterThanTheHeaderLength() =>
        Assert.Contains("shorter than the 8-byte header length", Refusal(_writer.WriteBytes([1, 0, 0])));

    [Fact]
    public void Open_RefusesAHugeHeaderLength() =>
        Assert.Contains("exceeds the 100000000-byte limit", Refusal(_writer.WriteRaw("{}", [], headerLength: ulong.MaxValue)));

    [Fact]
    public void Open_RefusesAHeaderLengthPastTheEndOfTheFile() =>
        Assert.Contains("runs past the end", Refusal(_writer.WriteRaw("{}", [], headerLength: 1000)));

    [Fact]
    public void Open_RefusesAHeaderThatIsNotJson() =>
        Assert.Contains("not valid JSON", Refusal(_writer.WriteRaw("{\"a\": {\"dtype\": ", [])));

    [Fact]
    public void Open_RefusesAHeaderThatIsNotAnObject() =>
        Assert.Contains("not an object", Refusal(_writer.WriteRaw("[1, 2]", [])));

    [Fact]
    public void Open_RefusesAnUnknownDtype() =>
        Assert.Contains("unknown dtype 'F12'", Refusal(_writer.Raw("a", "F12", [1], new byte[4]).Write()));

    [Fact]
    public void Open_RefusesOffsetsPastTheDataSection() =>
        Assert.Contains("run past the 8-byte data section", Refusal(Header("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 8)));

    [Fact]
    public void Open_RefusesOffsetsThatEndBeforeTheyBegin() =>
        Assert.Contains("end before they begin", Refusal(Header("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}""", 8)));

    [Fact]
    public void Open_RefusesOverlappingTensors() =>
        Assert.Contains("overlap", Refusal(Header(
            """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 12)));

    [Fact]
    public void Open_RefusesAShapeThatDisagreesWithTheByteLength() =>
        Assert.Contains("is 12 bytes, but data_offsets span 8", Refusal(Header("""{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}""", 8)));

    [Fact]
    public void Open_RefusesAShapeWhoseSizeOverflows() =>
        Assert.Contains("too large", Refusal(Header("""{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}""", 0)));

    [Fact]
    public void Open_RefusesANegativeDimension() =>
        Assert.Contains("not a non-negative integer", Refusal(Header("""{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""", 4)));

    [Fact]
    public void Open_RefusesATensorNamedTwice() =>
        Assert.Contains("names 'a' twice", Refusal(Header(
            """{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 8)));

    [Fact]
    public void Open_RefusesMetadataThatIsNotStrings() =>
        Assert.Contains("not a string", Refusal(Header("""{"__metadata__": {"alpha": 8}}""", 0)));

    [Fact]
    public void Open_RefusesAnEntryWithoutOffsets() =>
        Assert.Contains("no data_offsets array", Refusal(Header("""{"a": {"dtype": "F32", "shape": [1]}}""", 4)));

    private string Header(string json, int dataBytes) => _writer.WriteRaw(json, new byte[dataBytes]);
}
