using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>
/// The tiny LoRA fixtures merged into the base graphs' initializers (through their node names and layouts) against
/// the same graphs re-exported with the LoRA merged in torch.
/// </summary>
public sealed class LoraFixtureMergeTests
{
    public static TheoryData<string, string, string, string> Cases() => new()
    {
        { "sd15", "peft/pytorch_lora_weights.safetensors", "1", "unet" },
        { "sd15", "kohya/tiny_lora.safetensors", "0.5", "unet" },
        { "sd15", "peft/pytorch_lora_weights.safetensors", "1", "text_encoder" },
        { "sdxl", "kohya/tiny_lora.safetensors", "1", "unet" },
        { "sdxl", "peft/pytorch_lora_weights.safetensors", "0.5", "text_encoder" },
        { "sdxl", "kohya/tiny_lora.safetensors", "1", "text_encoder_2" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MergedInitializers_AreTorchsMerge(string fixture, string file, string weight, string component)
    {
        var graphs = LoraGraph.ReadFolder(TestPaths.Model("tiny", fixture));
        var index = LoraGraph.Index(graphs.Values);
        var adapter = LoraAdapter.Load(TestPaths.Model("tiny", $"lora-{fixture}", file), index);
        var target = graphs.Single(g => Path.GetFileName(Path.GetDirectoryName(g.Value.Path)) == component).Key;
        var merged = LoraGraph.Read(target, TestPaths.Model("tiny", $"lora-{fixture}", $"merged-w{weight}", component, "model.onnx"));

        var modules = adapter.Modules.Where(m => m.Component == target).ToList();
        Assert.NotEmpty(modules);
        foreach (var module in modules)
        {
            var at = graphs[target].Targets[module.ModulePath];
            var values = LoraMerge.ReadFloat32(at.Weight);
            LoraMerge.AddInto(values, at.Weight.Dims, at.Layout, LoraDelta.Compute(module, float.Parse(weight, System.Globalization.CultureInfo.InvariantCulture)), module.ModulePath);
            var expected = LoraMerge.ReadFloat32(merged.Targets[module.ModulePath].Weight);
            var worst = values.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst < 1e-5, $"{module.ModulePath} ({at.Weight.Name}, {at.Layout}): off by {worst}");
        }
    }
}
