using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>Kohya's Flux names (Black Forest Labs' modules) onto diffusers' modules, as diffusers' converter maps them.</summary>
public sealed class KohyaFluxNamesTests : IDisposable
{
    private readonly SafetensorsTestWriter _writer = new();

    public void Dispose() => _writer.Dispose();

    private string Qkv(int upRows) => _writer
        .F32("lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight", [2, 8], new float[16])
        .F32("lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight", [upRows, 2], new float[upRows * 2])
        .Write();

    [Theory]
    [InlineData("double_blocks_18_img_attn_qkv", "transformer_blocks.18.attn.to_q,transformer_blocks.18.attn.to_k,transformer_blocks.18.attn.to_v")]
    [InlineData("double_blocks_0_txt_attn_qkv", "transformer_blocks.0.attn.add_q_proj,transformer_blocks.0.attn.add_k_proj,transformer_blocks.0.attn.add_v_proj")]
    [InlineData("double_blocks_3_img_attn_proj", "transformer_blocks.3.attn.to_out.0")]
    [InlineData("double_blocks_3_txt_attn_proj", "transformer_blocks.3.attn.to_add_out")]
    [InlineData("double_blocks_1_img_mlp_0", "transformer_blocks.1.ff.net.0.proj")]
    [InlineData("double_blocks_1_img_mlp_2", "transformer_blocks.1.ff.net.2")]
    [InlineData("double_blocks_1_txt_mlp_0", "transformer_blocks.1.ff_context.net.0.proj")]
    [InlineData("double_blocks_1_txt_mlp_2", "transformer_blocks.1.ff_context.net.2")]
    [InlineData("double_blocks_2_img_mod_lin", "transformer_blocks.2.norm1.linear")]
    [InlineData("double_blocks_2_txt_mod_lin", "transformer_blocks.2.norm1_context.linear")]
    [InlineData("single_blocks_37_linear1", "single_transformer_blocks.37.attn.to_q,single_transformer_blocks.37.attn.to_k,single_transformer_blocks.37.attn.to_v,single_transformer_blocks.37.proj_mlp")]
    [InlineData("single_blocks_0_linear2", "single_transformer_blocks.0.proj_out")]
    [InlineData("single_blocks_0_modulation_lin", "single_transformer_blocks.0.norm.linear")]
    [InlineData("img_in", "x_embedder")]
    [InlineData("txt_in", "context_embedder")]
    [InlineData("time_in_in_layer", "time_text_embed.timestep_embedder.linear_1")]
    [InlineData("vector_in_out_layer", "time_text_embed.text_embedder.linear_2")]
    [InlineData("guidance_in_in_layer", "time_text_embed.guidance_embedder.linear_1")]
    [InlineData("final_layer_linear", "proj_out")]
    public void ToDiffusers_MapsEachPart(string kohya, string modules)
    {
        Assert.True(KohyaFluxNames.IsFlux(kohya));
        var mapping = KohyaFluxNames.ToDiffusers(kohya)!;
        Assert.Equal(modules.Split(','), mapping.Modules);
        Assert.False(mapping.SwapHalves);
    }

    [Fact]
    public void TheFinalModulation_SwapsItsHalves()
    {
        Assert.Equal(new KohyaFluxNames.Mapping(["norm_out.linear"], SwapHalves: true).Modules, KohyaFluxNames.ToDiffusers("final_layer_adaLN_modulation_1")!.Modules);
        Assert.True(KohyaFluxNames.ToDiffusers("final_layer_adaLN_modulation_1")!.SwapHalves);
    }

    [Theory]
    [InlineData("down_blocks_0_attentions_0_proj_in")] // an SD UNet name
    [InlineData("input_blocks_4_1_proj_in")]
    public void AnSdName_IsNotFlux(string kohya) => Assert.False(KohyaFluxNames.IsFlux(kohya));

    [Fact]
    public void AnUnknownBlockPart_MapsToNothing() => Assert.Null(KohyaFluxNames.ToDiffusers("double_blocks_0_img_norm_query_norm"));

    private static LoraModuleIndex FixtureIndex() =>
        LoraGraph.Index(LoraGraph.ReadFolder(TestPaths.Model("tiny", "lora-flux-kohya")).Values);

    [Fact]
    public void TheFixtureLora_SplitsIntoTheDiffusersModules_WithTheirRowsOfUp()
    {
        var adapter = LoraAdapter.Load(TestPaths.Model("tiny", "lora-flux-kohya", "kohya", "flux_lora.safetensors"), FixtureIndex());

        Assert.All(adapter.Modules, m => Assert.Equal(LoraComponent.Transformer, m.Component));
        var q = adapter.Modules.Single(m => m.ModulePath == "single_transformer_blocks.0.attn.to_q");
        var mlp = adapter.Modules.Single(m => m.ModulePath == "single_transformer_blocks.0.proj_mlp");
        Assert.Equal([8, 2], q.Up.Shape); // the fixture's width 8: linear1's 8 + 8 + 8 + 32 rows
        Assert.Equal([32, 2], mlp.Up.Shape);
        Assert.Same(q.Down, mlp.Down);
        Assert.Equal(17, adapter.Modules.Count); // 10 kohya modules, three of them fused (into 3 + 3 + 4)
    }

    [Fact]
    public void AFusedModuleOfAnotherWidth_IsAMismatch()
    {
        var error = Assert.Throws<LoraMismatchException>(() => LoraAdapter.Load(Qkv(25), FixtureIndex()));

        Assert.Contains("has 25 rows", error.Message);
    }

    [Fact]
    public void AFluxNameOnAUnetModel_IsStillAUnetName()
    {
        var index = new LoraModuleIndex([(LoraComponent.Unet, "down_blocks.0.attentions.0.proj_in")]);
        var error = Assert.Throws<LoraMismatchException>(() => LoraAdapter.Load(Qkv(24), index));

        Assert.Contains("names no Unet module", error.Message);
    }
}
