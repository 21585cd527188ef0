using Livepeer.Runner.Core.Models.Graphs;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>How a module's weight is laid out in its ONNX initializer, against torch's <c>[out, in(, kh, kw)]</c>.</summary>
public enum WeightLayout
{
    /// <summary>As torch stores it: a Gemm with <c>transB = 1</c> (<c>[out, in]</c>), or a Conv (<c>[out, in, kh, kw]</c>).</summary>
    AsTorch,

    /// <summary>Transposed, <c>[in, out]</c>: the MatMul torch.onnx emits for a Linear on a 3-D input, or a Gemm with <c>transB = 0</c>.</summary>
    Transposed,
}

/// <summary>The node (MatMul, Gemm or Conv) that applies one module's weight, the initializer holding it, and its layout.</summary>
public sealed record LoraTarget(string ModulePath, string NodeName, GraphInitializer Weight, WeightLayout Layout)
{
    /// <summary>Whether the module is a conv (a 4-D <c>[out, in, kh, kw]</c> weight) rather than a linear one.</summary>
    public bool IsConv => Weight.Dims.Count == 4;

    /// <summary>The module's output features (a conv's output channels).</summary>
    public long OutFeatures => Layout == WeightLayout.Transposed ? Weight.Dims[1] : Weight.Dims[0];

    /// <summary>The module's input features (a conv's input channels).</summary>
    public long InFeatures => Layout == WeightLayout.Transposed ? Weight.Dims[0] : Weight.Dims[1];

    /// <summary>A conv's kernel area kh·kw; 1 for a linear module.</summary>
    public long KernelArea => IsConv ? Weight.Dims[2] * Weight.Dims[3] : 1;
}

/// <summary>
/// One component graph's patchable modules (a UNet's, a text encoder's): each MatMul, Gemm or Conv node whose weight
/// input is an initializer, by the module path its node name keeps. Exporters name nodes after the module scopes
/// (<c>/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul</c>) while they often rename the weight
/// itself (<c>onnx::MatMul_123</c>), so the node name, not the initializer's, says which module a weight is.
/// </summary>
public sealed class LoraGraph
{
    private LoraGraph(LoraComponent component, string path, IReadOnlyDictionary<string, LoraTarget> targets, long weightBytes)
    {
        Component = component;
        Path = path;
        Targets = targets;
        WeightBytes = weightBytes;
    }

    public LoraComponent Component { get; }

    /// <summary>The graph file (<c>unet/model.onnx</c>).</summary>
    public string Path { get; }

    /// <summary>The patchable modules by dotted module path. A path two different weights claim is left out.</summary>
    public IReadOnlyDictionary<string, LoraTarget> Targets { get; }

    /// <summary>The bytes of all its initializers: what one more session of this graph holds (the LoRA branches' session).</summary>
    public long WeightBytes { get; }

    private static readonly (LoraComponent Component, string Folder)[] ComponentFolders =
    [
        (LoraComponent.Unet, "unet"),
        (LoraComponent.TextEncoder, "text_encoder"),
        (LoraComponent.TextEncoder2, "text_encoder_2"),
        (LoraComponent.Transformer, "transformer"),
    ];

    /// <summary>The graphs LoRAs patch in a diffusers folder: <c>unet</c> or <c>transformer</c>, <c>text_encoder</c>, <c>text_encoder_2</c>, those present.</summary>
    public static IReadOnlyDictionary<LoraComponent, LoraGraph> ReadFolder(string folder)
    {
        var graphs = new Dictionary<LoraComponent, LoraGraph>();
        foreach (var (component, name) in ComponentFolders)
        {
            var path = System.IO.Path.Combine(folder, name, "model.onnx");
            if (File.Exists(path))
                graphs[component] = Read(component, path);
        }

        return graphs;
    }

    /// <summary>Every patchable module of <paramref name="graphs"/>, to check diffusers names and resolve kohya ones.</summary>
    public static LoraModuleIndex Index(IEnumerable<LoraGraph> graphs)
    {
        var targets = graphs.SelectMany(g => g.Targets.Values.Select(t => (Key: (g.Component, t.ModulePath), t.OutFeatures))).ToList();
        return new(targets.Select(t => t.Key), targets.ToDictionary(t => t.Key, t => t.OutFeatures));
    }

    /// <summary>Reads <paramref name="onnxPath"/>'s nodes and initializers (not their values).</summary>
    public static LoraGraph Read(LoraComponent component, string onnxPath) =>
        From(component, onnxPath, OnnxWeightReader.Read(onnxPath));

    public static LoraGraph From(LoraComponent component, string onnxPath, GraphWeights graph)
    {
        var targets = new Dictionary<string, LoraTarget>(StringComparer.Ordinal);
        var claimedTwice = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (Target(node, graph.Initializers) is not { } target)
                continue;
            if (targets.TryGetValue(target.ModulePath, out var known) && known.Weight.Name != target.Weight.Name)
                claimedTwice.Add(target.ModulePath);
            targets.TryAdd(target.ModulePath, target);
        }

        foreach (var path in claimedTwice)
            targets.Remove(path);
        var weightBytes = graph.Initializers.Values.Sum(i => Math.Max(0, i.Data.Length));
        return new LoraGraph(component, onnxPath, targets, weightBytes);
    }

    /// <summary>
    /// The dotted module path a scoped node name keeps: its scopes without the last part (the operator's own name),
    /// where a scope that repeats its parent's name with an index (torch names a Sequential's children
    /// <c>/mlp/mlp.0</c>, a ModuleList's <c>/net.0</c> as it has no scope of its own) replaces that parent.
    /// Null for an unscoped name.
    /// </summary>
    public static string? ModulePath(string nodeName)
    {
        if (!nodeName.StartsWith('/'))
            return null;
        var scopes = nodeName[1..].Split('/');
        if (scopes.Length < 2)
            return null;
        var parts = new List<string>();
        foreach (var scope in scopes[..^1])
        {
            if (scope.Length == 0)
                return null;
            if (parts.Count > 0 && scope.StartsWith(parts[^1] + ".", StringComparison.Ordinal))
                parts[^1] = scope;
            else
                parts.Add(scope);
        }

        return string.Join('.', parts);
    }

    private static LoraTarget? Target(GraphNode node, IReadOnlyDictionary<string, GraphInitializer> initializers)
    {
        if (node.Inputs.Count < 2 || !initializers.TryGetValue(node.Inputs[1], out var weight) || ModulePath(node.Name) is not { } path)
            return null;
        return node.OpType switch
        {
            "MatMul" when weight.Dims.Count == 2 => new LoraTarget(path, node.Name, weight, WeightLayout.Transposed),
            "Gemm" when weight.Dims.Count == 2 => new LoraTarget(path, node.Name, weight, node.TransB != 0 ? WeightLayout.AsTorch : WeightLayout.Transposed),
            "Conv" when weight.Dims.Count == 4 => new LoraTarget(path, node.Name, weight, WeightLayout.AsTorch),
            _ => null,
        };
    }
}
