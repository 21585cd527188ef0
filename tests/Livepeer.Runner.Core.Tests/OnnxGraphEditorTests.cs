using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Core.Tests;

/// <summary>The protobuf graph rewrite, read back with the runner's own graph readers.</summary>
public sealed class OnnxGraphEditorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("graph-editor-").FullName;

    private static readonly string Sd15Unet = TestPaths.Model("tiny", "sd15", "unet", "model.onnx");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(byte[] model)
    {
        var path = Path.Combine(_folder, "model.onnx");
        File.WriteAllBytes(path, model);
        return path;
    }

    [Fact]
    public void Rewrite_ChangingNothing_GivesTheSameBytes()
    {
        var model = File.ReadAllBytes(Sd15Unet);

        Assert.Equal(model, OnnxGraphEditor.Rewrite(model, _ => null, []));
    }

    [Fact]
    public void Rewrite_AddedInputs_AreReadBackWithTheirTypesAndShapes()
    {
        var model = OnnxGraphEditor.Rewrite(File.ReadAllBytes(Sd15Unet), _ => null,
        [
            new OnnxTensorInput("extra", 10, [OnnxDimension.Fixed(16), OnnxDimension.Named("rank")]),
        ]);

        var signature = OnnxGraphReader.Read(Write(model));

        Assert.Equal("extra: Float16[16, rank]", signature.Input("extra")!.ToString());
        Assert.Equal(OnnxGraphReader.Read(Sd15Unet).Inputs.Count + 1, signature.Inputs.Count);
    }

    [Fact]
    public void Rewrite_AReplacedNode_IsWrittenInItsPlace_AndEveryOtherNodeAndWeightStays()
    {
        var original = OnnxWeightReader.Read(Sd15Unet);
        var model = OnnxGraphEditor.Rewrite(File.ReadAllBytes(Sd15Unet), node => node.Name == "/res0/t/Gemm"
            ? [node with { Outputs = ["renamed"] }, new OnnxNode("/after", "Identity", ["renamed"], [node.Outputs[0]], [])]
            : null, []);

        var rewritten = OnnxWeightReader.Read(Write(model));

        var at = original.Nodes.ToList().FindIndex(n => n.Name == "/res0/t/Gemm");
        Assert.Equal([.. original.Nodes.Take(at + 1).Select(n => n.Name), "/after", .. original.Nodes.Skip(at + 1).Select(n => n.Name)],
            rewritten.Nodes.Select(n => n.Name));
        Assert.Equal(original.Nodes[at].Inputs, rewritten.Nodes[at].Inputs);
        Assert.Equal(1, rewritten.Nodes[at].TransB); // its attributes are copied as they were
        Assert.Equal(original.Initializers.Keys.Order(), rewritten.Initializers.Keys.Order());
        foreach (var (name, weight) in original.Initializers)
            Assert.Equal(weight.Data.Length, rewritten.Initializers[name].Data.Length);
    }

    [Fact]
    public void NodeAttributes_AreReadFromTheirBytes()
    {
        OnnxNode? gemm = null, conv = null;
        OnnxGraphEditor.Rewrite(File.ReadAllBytes(Sd15Unet), node =>
        {
            if (node.Name == "/res0/t/Gemm")
                gemm = node;
            if (node.Name == "/res1/c1/Conv")
                conv = node;
            return null;
        }, []);

        Assert.Equal(1, gemm!.IntAttribute("transB"));
        Assert.Null(gemm.IntAttribute("transA"));
        Assert.Equal(1f, gemm.FloatAttribute("alpha") ?? 1f);
        Assert.Equal(1, conv!.IntAttribute("group") ?? 1);
        Assert.Null(conv.FloatAttribute("group")); // an int attribute is not read as a float
    }

    [Fact]
    public void Rewrite_BytesThatAreNoModel_AreInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => OnnxGraphEditor.Rewrite([0x08, 0x07], _ => null, []));
    }
}
