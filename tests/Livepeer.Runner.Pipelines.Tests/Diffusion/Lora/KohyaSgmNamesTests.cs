using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>Kohya UNet names in the original SD block layout, rewritten to diffusers' (two layers per block, as SD1.5 and SDXL).</summary>
public sealed class KohyaSgmNamesTests
{
    [Theory]
    [InlineData("input_blocks_4_1_transformer_blocks_0_attn1_to_q", "down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q")]
    [InlineData("input_blocks_5_0_in_layers_2", "down_blocks_1_resnets_1_conv1")]
    [InlineData("input_blocks_1_0_emb_layers_1", "down_blocks_0_resnets_0_time_emb_proj")]
    [InlineData("input_blocks_3_0_op", "down_blocks_0_downsamplers_0_conv")]
    [InlineData("middle_block_1_proj_in", "mid_block_attentions_0_proj_in")]
    [InlineData("middle_block_2_out_layers_3", "mid_block_resnets_1_conv2")]
    [InlineData("output_blocks_0_0_skip_connection", "up_blocks_0_resnets_0_conv_shortcut")]
    [InlineData("output_blocks_4_1_proj_out", "up_blocks_1_attentions_1_proj_out")]
    [InlineData("output_blocks_2_2_conv", "up_blocks_0_upsamplers_0_conv")]
    public void ToDiffusers_MapsBlocksAndResnetLeaves(string sgm, string diffusers) =>
        Assert.Equal(diffusers, KohyaSgmNames.ToDiffusers(sgm, layersPerBlock: 2));

    [Fact]
    public void ToDiffusers_UsesTheLayersPerBlock() =>
        Assert.Equal("down_blocks_1_resnets_0_conv1", KohyaSgmNames.ToDiffusers("input_blocks_3_0_in_layers_2", layersPerBlock: 1));

    [Theory]
    [InlineData("input_blocks_0_0")]
    [InlineData("middle_block_3_proj_in")]
    [InlineData("output_blocks_x_0_conv")]
    [InlineData("input_blocks_4_3_proj_in")]
    public void ToDiffusers_GivesNullForOtherShapes(string sgm) => Assert.Null(KohyaSgmNames.ToDiffusers(sgm, layersPerBlock: 2));

    [Fact]
    public void Resolve_MapsSgmNamesCountingTheBaseLayersPerBlock()
    {
        var index = new LoraModuleIndex(
        [
            (LoraComponent.Unet, "down_blocks.0.resnets.0.conv1"),
            (LoraComponent.Unet, "down_blocks.0.resnets.1.conv1"),
            (LoraComponent.Unet, "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"),
        ]);

        Assert.Equal(
            "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q",
            index.Resolve(LoraComponent.Unet, "input_blocks_4_1_transformer_blocks_0_attn1_to_q"));
    }

    [Fact]
    public void Resolve_RefusesSgmNamesWhenTheBaseHasNoDownBlockResnets()
    {
        var index = new LoraModuleIndex([(LoraComponent.Unet, "mid_block.attentions.0.proj_in")]);

        var error = Assert.Throws<LoraMismatchException>(() => index.Resolve(LoraComponent.Unet, "middle_block_1_proj_in"));
        Assert.Contains("layers per block", error.Message);
    }

    [Fact]
    public void Resolve_RefusesAnSgmNameWithNoDiffusersCounterpart()
    {
        var index = new LoraModuleIndex([(LoraComponent.Unet, "down_blocks.0.resnets.0.conv1")]);

        var error = Assert.Throws<LoraMismatchException>(() => index.Resolve(LoraComponent.Unet, "input_blocks_0_0"));
        Assert.Contains("no diffusers counterpart", error.Message);
    }
}
