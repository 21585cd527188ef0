using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>
/// The branch sessions against the fixture graphs re-exported with the LoRA merged in torch: fed a set's factors, a
/// component's branched graph computes what the merged one does; fed zeros, what the base one does.
/// </summary>
public sealed class LoraBranchGraphTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        { "lora-flux-kohya", "kohya/flux_lora.safetensors", "1", "transformer" }, // kohya's BFL names, fused modules split
        { "lora-fp16", "peft/pytorch_lora_weights.safetensors", "1", "unet" }, // float16 weights: float16 factors and branches
        { "sd15", "peft/pytorch_lora_weights.safetensors", "1", "unet" },
        { "sd15", "kohya/tiny_lora.safetensors", "0.5", "unet" }, // convs (res1.c1, res1.skip) and Gemms (res0.t, time.2)
        { "sd15", "peft/pytorch_lora_weights.safetensors", "1", "text_encoder" },
        { "sdxl", "kohya/tiny_lora.safetensors", "1", "unet" }, // external data
        { "sdxl", "peft/pytorch_lora_weights.safetensors", "0.5", "text_encoder" },
        { "sdxl", "kohya/tiny_lora.safetensors", "1", "text_encoder_2" },
        { "flux-schnell", "peft/pytorch_lora_weights.safetensors", "1", "transformer" },
        { "sd3", "peft/pytorch_lora_weights.safetensors", "0.5", "transformer" }, // the patch-embedding conv
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ABranchedGraphFedTheSet_ComputesTheMergedGraph(string fixture, string file, string weight, string folder)
    {
        // A fixture of its own (lora-flux-kohya) holds its base graph beside the LoRA; the others are lora-<base>.
        var adapterFolder = fixture.StartsWith("lora-", StringComparison.Ordinal) ? fixture : $"lora-{fixture}";
        var graphs = LoraGraph.ReadFolder(TestPaths.Model("tiny", fixture));
        var adapter = LoraAdapter.Load(TestPaths.Model("tiny", adapterFolder, file), LoraGraph.Index(graphs.Values));
        var component = graphs.Single(g => Path.GetFileName(Path.GetDirectoryName(g.Value.Path)) == folder).Key;
        using var set = LoraSet.Build(graphs, [new WeightedAdapter(adapter, float.Parse(weight, System.Globalization.CultureInfo.InvariantCulture))], CancellationToken.None);
        using var branches = LoraBranches.Open(fixture, graphs[component], set.ModulesOf(component), Sessions);
        using var merged = Sessions.Create(fixture, TestPaths.Model("tiny", adapterFolder, $"merged-w{weight}", folder, "model.onnx"));
        using var plain = Sessions.Create(fixture, graphs[component].Path);
        var branched = branches.For(set);
        using var empty = LoraSet.Build(graphs, [], CancellationToken.None);
        var zeros = branches.For(empty);

        var inputs = Inputs(plain);
        var expected = Run(merged, inputs, SessionInputs.None);
        var actual = Run(branched.Session, inputs, branched.Inputs);
        var unchanged = Run(zeros.Session, inputs, zeros.Inputs);
        var original = Run(plain, inputs, SessionInputs.None);

        Assert.NotEmpty(set.ModulesOf(component));
        Assert.True(MaxDifference(original, expected) > 1e-3, "the LoRA should change this component's output");
        // float16: the merged reference rounds W + ΔW once, the branch rounds x·D and (x·D)·U; both are ~1e-3 relative.
        var tolerance = fixture == "lora-fp16" ? 2e-2 * Magnitude(expected) : 1e-4;
        Assert.True(MaxDifference(expected, actual) < tolerance, $"branched vs merged: off by {MaxDifference(expected, actual)} (tolerance {tolerance})");
        Assert.True(MaxDifference(original, unchanged) < 1e-5, $"zero branches vs the base graph: off by {MaxDifference(original, unchanged)}");
    }

    [Fact]
    public void AModuleTheGraphDoesNotHave_IsAMismatch()
    {
        var graph = LoraGraph.Read(LoraComponent.Unet, TestPaths.Model("tiny", "sd15", "unet", "model.onnx"));

        Assert.Throws<KeyNotFoundException>(() => LoraBranchGraph.Rewrite(graph, ["no.such.module"]));
    }

    [Theory]
    [InlineData("/res0/t/Gemm", "res0.t", "alpha")] // Gemm computes alpha·X·W: a branch beside it would miss the alpha
    [InlineData("/res0/t/Gemm", "res0.t", "transA")]
    [InlineData("/res1/c1/Conv", "res1.c1", "group")]
    public void ANodeABranchCannotFollow_IsAMismatch(string node, string module, string attribute)
    {
        var folder = Directory.CreateTempSubdirectory("lora-branch-").FullName;
        try
        {
            // The attribute goes first, so it is the one read: AttributeProto name (1), f (2) or i (3), type (20).
            byte[] value = attribute == "alpha" ? [0x15, 0, 0, 0, 0x40, 0xA0, 0x01, 0x01] : [0x18, 0x02, 0xA0, 0x01, 0x02];
            byte[] encoded = [0x0A, (byte)attribute.Length, .. System.Text.Encoding.ASCII.GetBytes(attribute), .. value];
            var path = Path.Combine(folder, "model.onnx");
            File.WriteAllBytes(path, OnnxGraphEditor.Rewrite(File.ReadAllBytes(TestPaths.Model("tiny", "sd15", "unet", "model.onnx")),
                n => n.Name == node ? [n with { Attributes = [encoded, .. n.Attributes] }] : null, []));
            var graph = LoraGraph.Read(LoraComponent.Unet, path);

            var error = Assert.Throws<LoraMismatchException>(() => LoraBranchGraph.Rewrite(graph, [module]));

            Assert.Contains($"Module '{module}'", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Deterministic inputs for every input of <paramref name="session"/>, symbolic dimensions at 2 (token ids small).</summary>
    private static List<(string Name, OrtValue Value)> Inputs(InferenceSession session)
    {
        var random = new Random(5);
        var inputs = new List<(string, OrtValue)>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            var shape = meta.Dimensions.Select(d => d > 0 ? (long)d : 2L).ToArray();
            var count = (int)shape.Aggregate(1L, (n, d) => n * d);
            inputs.Add((name, meta.ElementType == typeof(Float16)
                ? OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, count).Select(_ => (Float16)((float)random.NextDouble() - 0.5f)).ToArray(), shape)
                : meta.ElementType == typeof(long)
                ? OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, count).Select(_ => (long)random.Next(1, 8)).ToArray(), shape)
                : meta.ElementType == typeof(int)
                    ? OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, count).Select(_ => random.Next(1, 8)).ToArray(), shape)
                    : OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), shape)));
        }

        return inputs;
    }

    private static float[][] Run(InferenceSession session, List<(string Name, OrtValue Value)> inputs, SessionInputs adapter)
    {
        using var results = OnnxRun.Run(session, [.. inputs.Select(i => i.Name), .. adapter.Names], [.. inputs.Select(i => i.Value), .. adapter.Values],
            session.OutputNames, CancellationToken.None);
        return [.. results.Select(FloatTensor.ToArray)];
    }

    private static double Magnitude(float[][] values) => values.Max(v => v.Max(Math.Abs));

    private static double MaxDifference(float[][] a, float[][] b) =>
        a.Zip(b, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).DefaultIfEmpty(0f).Max()).Max();
}
