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
        var components = new (LoraComponent, string)[] { (LoraComponent.Unet, "unet"), (LoraComponent.TextEncoder, "text_encoder"), (LoraComponent.TextEncoder2, "text_encoder_2") };
        var graphs = components
            .Where(c => File.Exists(TestPaths.Model("tiny", fixture, c.Item2, "model.onnx")))
            .ToDictionary(c => c.Item1, c => LoraGraph.Read(c.Item1, TestPaths.Model("tiny", fixture, c.Item2, "model.onnx")));
        var index = new LoraModuleIndex(graphs.Values.SelectMany(g => g.Targets.Keys.Select(k => (g.Component, k))));
        var adapter = LoraAdapter.Load(TestPaths.Model("tiny", $"lora-{fixture}", file), index);
        var target = components.Single(c => c.Item2 == component).Item1;
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
