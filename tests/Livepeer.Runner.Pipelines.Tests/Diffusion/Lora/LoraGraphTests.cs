using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>Which initializer holds which module's weight, from the node names exporters keep.</summary>
public sealed class LoraGraphTests
{
    [Theory]
    [InlineData("/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q")]
    [InlineData("/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_out.0/MatMul", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0")]
    [InlineData("/down_blocks.1/attentions.0/transformer_blocks.0/ff/net.0/proj/MatMul", "down_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj")]
    [InlineData("/text_model/encoder/layers.11/self_attn/q_proj/MatMul", "text_model.encoder.layers.11.self_attn.q_proj")]
    [InlineData("/time_embedding/linear_1/Gemm", "time_embedding.linear_1")]
    [InlineData("/attn1/block/mlp/mlp.0/MatMul", "attn1.block.mlp.0")] // a Sequential's child repeats its scope
    [InlineData("/time/time.2/Gemm", "time.2")]
    [InlineData("/conv_in/Conv", "conv_in")]
    public void ModulePath_IsTheNodesScopes(string node, string module) => Assert.Equal(module, LoraGraph.ModulePath(node));

    [Theory]
    [InlineData("MatMul_12")]
    [InlineData("/MatMul")]
    [InlineData("//a/MatMul")]
    public void ModulePath_OfAnUnscopedName_IsNull(string node) => Assert.Null(LoraGraph.ModulePath(node));

    private static GraphInitializer Weight(string name, params long[] dims) => new(name, 1, dims, new InitializerData("model.onnx", 0, dims.Aggregate(4L, (n, d) => n * d)));

    [Fact]
    public void From_TakesTheWeightInputOfMatMulGemmAndConv_WithTheirLayouts()
    {
        var initializers = new[] { Weight("onnx::MatMul_7", 4, 8), Weight("lin.weight", 8, 4), Weight("lin2.weight", 4, 8), Weight("conv.weight", 8, 4, 3, 3) }
            .ToDictionary(i => i.Name);
        GraphNode[] nodes =
        [
            new("/a/to_q/MatMul", "MatMul", ["x", "onnx::MatMul_7"], 0),
            new("/lin/Gemm", "Gemm", ["x", "lin.weight", "lin.bias"], 1),
            new("/lin2/Gemm", "Gemm", ["x", "lin2.weight"], 0),
            new("/conv/Conv", "Conv", ["x", "conv.weight"], 0),
            new("/a/MatMul", "MatMul", ["q", "k"], 0), // attention scores: no weight
            new("/a/to_q/Add", "Add", ["y", "onnx::MatMul_7"], 0), // not a weight-consuming op
        ];

        var targets = LoraGraph.From(LoraComponent.Unet, "model.onnx", new GraphWeights(nodes, initializers)).Targets;

        Assert.Equal(["a.to_q", "conv", "lin", "lin2"], targets.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("onnx::MatMul_7", WeightLayout.Transposed), (targets["a.to_q"].Weight.Name, targets["a.to_q"].Layout));
        Assert.Equal(WeightLayout.AsTorch, targets["lin"].Layout);
        Assert.Equal(WeightLayout.Transposed, targets["lin2"].Layout);
        Assert.Equal(WeightLayout.AsTorch, targets["conv"].Layout);
    }

    [Fact]
    public void From_LeavesOutAModuleTwoWeightsClaim()
    {
        var initializers = new[] { Weight("w1", 4, 4), Weight("w2", 4, 4) }.ToDictionary(i => i.Name);
        GraphNode[] nodes = [new("/m/MatMul", "MatMul", ["x", "w1"], 0), new("/m/MatMul_1", "MatMul", ["x", "w2"], 0)];

        Assert.Empty(LoraGraph.From(LoraComponent.Unet, "model.onnx", new GraphWeights(nodes, initializers)).Targets);
    }

    [Fact]
    public void Read_FindsTheTinyUnetsWeights_InItsExternalData()
    {
        var graph = LoraGraph.Read(LoraComponent.Unet, TestPaths.Model("tiny", "sdxl", "unet", "model.onnx"));

        var toQ = graph.Targets["attn1.block.attn.q"];
        Assert.Equal([32L, 32L], toQ.Weight.Dims);
        Assert.Equal(WeightLayout.Transposed, toQ.Layout);
        Assert.EndsWith("model.onnx_data", toQ.Weight.Data.File);
        Assert.Equal([32L, 16, 3, 3], graph.Targets["res1.c1"].Weight.Dims);
        Assert.Equal(new FileInfo(TestPaths.Model("tiny", "sdxl", "unet", "model.onnx_data")).Length, graph.WeightBytes);
    }
}
