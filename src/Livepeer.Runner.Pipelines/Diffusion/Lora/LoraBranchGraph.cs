using Livepeer.Runner.Core.Models.Graphs;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// A component graph with a low-rank branch added beside some of its modules, whose weights are graph inputs, so one
/// session of it serves every adapter set: each set feeds its own factors, the base weights stay the session's one copy.
/// A linear module's <c>Y = X·W (+ b)</c> becomes <c>Y + (X·D)·U</c> with D <c>[in, r]</c> and U <c>[r, out]</c>; a
/// conv's <c>Y = Conv(X, W)</c> becomes <c>Y + Conv(Conv(X, D), U)</c> with D <c>[r, in, kh, kw]</c> taking W's
/// strides, pads and dilations and U <c>[out, r, 1, 1]</c> — the same update as merging ΔW = U·D into W (LoRA's
/// definition), computed unmerged. The rank r of each input is free; inputs are in the weight's element type.
/// </summary>
public static class LoraBranchGraph
{
    public static string DownInput(string modulePath) => $"lora_down:{modulePath}";

    public static string UpInput(string modulePath) => $"lora_up:{modulePath}";

    /// <summary>
    /// <paramref name="graph"/>'s model bytes with a branch beside each of <paramref name="modules"/> (module paths it
    /// has targets for). <see cref="LoraMismatchException"/> when a module's node cannot carry one.
    /// </summary>
    public static byte[] Rewrite(LoraGraph graph, IReadOnlyCollection<string> modules)
    {
        var byNode = modules.Select(m => graph.Targets[m]).ToDictionary(t => t.NodeName, StringComparer.Ordinal);
        var branched = new HashSet<string>(StringComparer.Ordinal);
        var bytes = OnnxGraphEditor.Rewrite(File.ReadAllBytes(graph.Path), node =>
        {
            if (!byNode.TryGetValue(node.Name, out var target))
                return null;
            if (!branched.Add(node.Name) || node.Inputs.Count < 2 || node.Inputs[1] != target.Weight.Name || node.Outputs.Count == 0)
                throw new LoraMismatchException($"Module '{target.ModulePath}': node '{node.Name}' is not the one node applying its weight.");
            return Branch(node, target);
        }, byNode.Values.OrderBy(t => t.ModulePath, StringComparer.Ordinal).SelectMany(Inputs).ToList());
        if (branched.Count != byNode.Count)
            throw new LoraMismatchException($"{graph.Component}: {byNode.Count - branched.Count} module node(s) were not found in {graph.Path}.");
        return bytes;
    }

    private static IReadOnlyList<OnnxNode> Branch(OnnxNode node, LoraTarget target)
    {
        var path = target.ModulePath;
        if (node.OpType == "Gemm" && (node.IntAttribute("transA") is not (null or 0) || node.FloatAttribute("alpha") is not (null or 1f)))
            throw new LoraMismatchException($"Module '{path}': its Gemm has transA or alpha set, which a LoRA branch does not follow.");
        if (node.OpType == "Conv" && node.IntAttribute("group") is not (null or 1))
            throw new LoraMismatchException($"Module '{path}': a grouped conv takes no LoRA.");

        var output = node.Outputs[0];
        var baseOutput = $"{output}/lora_base";
        var low = $"{output}/lora_low";
        var update = $"{output}/lora_update";
        var op = target.IsConv ? "Conv" : "MatMul";
        return
        [
            node with { Outputs = [baseOutput, .. node.Outputs.Skip(1)] },
            // The down conv takes the module's own attributes (kernel, strides, pads, dilations); the up conv is 1×1.
            new OnnxNode($"{node.Name}/lora_down", op, [node.Inputs[0], DownInput(path)], [low], target.IsConv ? node.Attributes : []),
            new OnnxNode($"{node.Name}/lora_up", op, [low, UpInput(path)], [update], []),
            new OnnxNode($"{node.Name}/lora_add", "Add", [baseOutput, update], [output], []),
        ];
    }

    private static IEnumerable<OnnxTensorInput> Inputs(LoraTarget target)
    {
        var type = LoraBranchFactors.ElementTypeOf(target);
        var rank = OnnxDimension.Named($"lora_rank:{target.ModulePath}");
        var (inFeatures, outFeatures) = (OnnxDimension.Fixed(target.InFeatures), OnnxDimension.Fixed(target.OutFeatures));
        if (target.IsConv)
        {
            yield return new OnnxTensorInput(DownInput(target.ModulePath), type, [rank, inFeatures, OnnxDimension.Fixed(target.Weight.Dims[2]), OnnxDimension.Fixed(target.Weight.Dims[3])]);
            yield return new OnnxTensorInput(UpInput(target.ModulePath), type, [outFeatures, rank, OnnxDimension.Fixed(1), OnnxDimension.Fixed(1)]);
        }
        else
        {
            yield return new OnnxTensorInput(DownInput(target.ModulePath), type, [inFeatures, rank]);
            yield return new OnnxTensorInput(UpInput(target.ModulePath), type, [rank, outFeatures]);
        }
    }
}
