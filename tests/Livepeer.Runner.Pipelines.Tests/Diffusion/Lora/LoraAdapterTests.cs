using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>Reading LoRA files of both namings into per-module down/up matrices and scales.</summary>
public sealed class LoraAdapterTests : IDisposable
{
    private const string ToQ = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    private const string ProjIn = "down_blocks.0.attentions.0.proj_in";
    private const string QProj = "text_model.encoder.layers.0.self_attn.q_proj";

    private readonly SafetensorsTestWriter _writer = new();

    public void Dispose() => _writer.Dispose();

    /// <summary>A base model's modules, as an ONNX export's initializer names would list them.</summary>
    private static LoraModuleIndex BaseModules() => new(
        LoraModuleIndex.FromWeightNames(LoraComponent.Unet, [$"{ToQ}.weight", $"{ProjIn}.weight", $"{ProjIn}.bias", "down_blocks.0.attentions.0.norm.weight", "time_embedding.linear_1.weight"])
            .Concat(LoraModuleIndex.FromWeightNames(LoraComponent.TextEncoder, [$"{QProj}.weight", $"{QProj}.bias"]))
            .Concat(LoraModuleIndex.FromWeightNames(LoraComponent.TextEncoder2, [$"{QProj}.weight"])));

    private static SafetensorsFormatException Refusal(string path, LoraModuleIndex? modules) =>
        Assert.ThrowsAny<SafetensorsFormatException>(() => LoraAdapter.Load(path, modules));

    [Fact]
    public void Load_ReadsPeftNamesWithScaleOne()
    {
        var path = _writer
            .F32($"unet.{ToQ}.lora_A.weight", [2, 3], 1, 2, 3, 4, 5, 6)
            .F32($"unet.{ToQ}.lora_B.weight", [4, 2], 1, 0, 0, 1, 1, 1, 2, 2)
            .Write();

        var module = Assert.Single(LoraAdapter.Load(path, BaseModules()).Modules);

        Assert.Equal((LoraComponent.Unet, ToQ, 2, 1f), (module.Component, module.ModulePath, module.Rank, module.Scale));
        Assert.Equal([2, 3], module.Down.Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], module.Down.Values);
        Assert.Equal([4, 2], module.Up.Shape);
        Assert.Equal([1f, 0f, 0f, 1f, 1f, 1f, 2f, 2f], module.Up.Values);
    }

    [Fact]
    public void Load_ReadsTheOlderDiffusersNamesAndTextEncoders()
    {
        var path = _writer
            .F32($"unet.{ProjIn}.lora.down.weight", [1, 2], 1, 2)
            .F32($"unet.{ProjIn}.lora.up.weight", [2, 1], 3, 4)
            .F32($"text_encoder.{QProj}.lora_A.weight", [1, 2], 5, 6)
            .F32($"text_encoder.{QProj}.lora_B.weight", [1, 1], 7)
            .Write();

        var modules = LoraAdapter.Load(path, baseModules: null).Modules;

        Assert.Equal([(LoraComponent.Unet, ProjIn), (LoraComponent.TextEncoder, QProj)], modules.Select(m => (m.Component, m.ModulePath)));
        Assert.Equal([5f, 6f], modules[1].Down.Values);
        Assert.Equal([7f], modules[1].Up.Values);
    }

    [Fact]
    public void Load_ResolvesKohyaNamesAgainstTheBaseModulesAndScalesByAlphaOverRank()
    {
        var path = _writer
            .F32("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", [4, 1], 1, 2, 3, 4)
            .F32("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight", [1, 4], 1, 1, 1, 1)
            .F32("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha", [], 2)
            .F32("lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", [1, 1], 1)
            .F32("lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", [1, 1], 1)
            .F32("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", [1, 1], 1)
            .F32("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", [1, 1], 1)
            .F32("lora_te2_text_model_encoder_layers_0_self_attn_q_proj.alpha", [1], 3)
            .Write();

        var modules = LoraAdapter.Load(path, BaseModules()).Modules;

        Assert.Equal(
            [(LoraComponent.Unet, ToQ, 0.5f), (LoraComponent.TextEncoder, QProj, 1f), (LoraComponent.TextEncoder2, QProj, 3f)],
            modules.Select(m => (m.Component, m.ModulePath, m.Scale)));
    }

    [Fact]
    public void Load_ReadsHalfPrecisionWeights()
    {
        var path = _writer
            .Bits16($"unet.{ToQ}.lora_A.weight", "F16", [1, 2], 0x3E00, 0xC000)
            .Bits16($"unet.{ToQ}.lora_B.weight", "BF16", [1, 1], 0x3FC0)
            .Bits16($"unet.{ToQ}.alpha", "F16", [], 0x3800)
            .Write();

        var module = Assert.Single(LoraAdapter.Load(path, BaseModules()).Modules);

        Assert.Equal([1.5f, -2f], module.Down.Values);
        Assert.Equal([1.5f], module.Up.Values);
        Assert.Equal(0.5f, module.Scale);
    }

    [Fact]
    public void Load_RefusesKohyaNamesWithoutTheBaseModules()
    {
        var path = _writer.F32("lora_unet_mid_block_attentions_0_proj_in.lora_down.weight", [1, 1], 1).Write();

        Assert.Contains("without the base model's module list", Refusal(path, null).Message);
    }

    [Fact]
    public void Load_RefusesAKohyaNameOfNoBaseModule()
    {
        var path = _writer.F32("lora_unet_mid_block_attentions_0_proj_in.lora_down.weight", [1, 1], 1).Write();

        Assert.Contains("'mid_block_attentions_0_proj_in' names no Unet module", Refusal(path, BaseModules()).Message);
    }

    [Fact]
    public void Load_RefusesAKohyaNameTwoBaseModulesJoinTo()
    {
        var modules = new LoraModuleIndex([(LoraComponent.Unet, "a_b.c"), (LoraComponent.Unet, "a.b_c")]);
        var path = _writer.F32("lora_unet_a_b_c.lora_down.weight", [1, 1], 1).F32("lora_unet_a_b_c.lora_up.weight", [1, 1], 1).Write();

        Assert.Contains("ambiguous", Refusal(path, modules).Message);
    }

    [Fact]
    public void Load_RefusesADiffusersNameOfNoBaseModule()
    {
        var path = _writer.F32("unet.up_blocks.9.attn.to_q.lora_A.weight", [1, 1], 1).F32("unet.up_blocks.9.attn.to_q.lora_B.weight", [1, 1], 1).Write();

        Assert.Contains("'up_blocks.9.attn.to_q' names no Unet module", Refusal(path, BaseModules()).Message);
    }

    [Fact]
    public void Load_RefusesAModuleWithoutItsUpWeight()
    {
        var path = _writer.F32($"unet.{ToQ}.lora_A.weight", [1, 1], 1).F32($"unet.{ToQ}.alpha", [], 1).Write();

        Assert.Contains("needs both a down and an up weight", Refusal(path, null).Message);
    }

    [Fact]
    public void Load_RefusesRanksThatDisagree()
    {
        var path = _writer.F32($"unet.{ToQ}.lora_A.weight", [2, 1], 1, 2).F32($"unet.{ToQ}.lora_B.weight", [1, 3], 1, 2, 3).Write();

        Assert.Contains("rank 2 and up's 3 differ", Refusal(path, null).Message);
    }

    [Fact]
    public void Load_RefusesAModuleGivenTwiceInBothNamings()
    {
        var path = _writer
            .F32($"unet.{ToQ}.lora_A.weight", [1, 1], 1)
            .F32($"unet.{ToQ}.lora.down.weight", [1, 1], 1)
            .F32($"unet.{ToQ}.lora_B.weight", [1, 1], 1)
            .Write();

        Assert.Contains("two Down weights", Refusal(path, null).Message);
    }

    [Fact]
    public void Load_RefusesAnAlphaThatIsNotOneNumber()
    {
        var path = _writer
            .F32($"unet.{ToQ}.lora_A.weight", [1, 1], 1)
            .F32($"unet.{ToQ}.lora_B.weight", [1, 1], 1)
            .F32($"unet.{ToQ}.alpha", [2], 1, 2)
            .Write();

        Assert.Contains("must be one finite number", Refusal(path, null).Message);
    }

    [Fact]
    public void Load_RefusesAConvUpWeightWithAWideKernel()
    {
        var path = _writer
            .F32($"unet.{ProjIn}.lora_A.weight", [1, 1, 1, 1], 1)
            .F32($"unet.{ProjIn}.lora_B.weight", [1, 1, 1, 2], 1, 2)
            .Write();

        Assert.Contains("1×1 kernel", Refusal(path, null).Message);
    }
}
