using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>Splitting LoRA tensor names of both namings into component, module and role.</summary>
public sealed class LoraKeyTests
{
    [Theory]
    [InlineData("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight", LoraComponent.Unet, "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", LoraWeightRole.Down)]
    [InlineData("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight", LoraComponent.Unet, "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", LoraWeightRole.Up)]
    [InlineData("unet.mid_block.attentions.0.proj_in.lora.down.weight", LoraComponent.Unet, "mid_block.attentions.0.proj_in", LoraWeightRole.Down)]
    [InlineData("unet.mid_block.attentions.0.proj_in.lora.up.weight", LoraComponent.Unet, "mid_block.attentions.0.proj_in", LoraWeightRole.Up)]
    [InlineData("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight", LoraComponent.TextEncoder, "text_model.encoder.layers.0.self_attn.q_proj", LoraWeightRole.Down)]
    [InlineData("text_encoder_2.text_model.encoder.layers.11.mlp.fc1.lora_B.weight", LoraComponent.TextEncoder2, "text_model.encoder.layers.11.mlp.fc1", LoraWeightRole.Up)]
    [InlineData("unet.up_blocks.1.resnets.0.conv1.alpha", LoraComponent.Unet, "up_blocks.1.resnets.0.conv1", LoraWeightRole.Alpha)]
    // diffusers' Flux and SD3 LoRAs: the transformer's modules under "transformer."
    [InlineData("transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight", LoraComponent.Transformer, "single_transformer_blocks.0.attn.to_q", LoraWeightRole.Down)]
    [InlineData("transformer.transformer_blocks.3.ff_context.net.2.lora_B.weight", LoraComponent.Transformer, "transformer_blocks.3.ff_context.net.2", LoraWeightRole.Up)]
    [InlineData("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q_lora.down.weight", LoraComponent.Unet, "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", LoraWeightRole.Down)]
    [InlineData("unet.up_blocks.1.attentions.2.transformer_blocks.0.attn2.processor.to_out_lora.up.weight", LoraComponent.Unet, "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0", LoraWeightRole.Up)]
    [InlineData("text_encoder.text_model.encoder.layers.3.self_attn.to_v_lora.down.weight", LoraComponent.TextEncoder, "text_model.encoder.layers.3.self_attn.v_proj", LoraWeightRole.Down)]
    [InlineData("text_encoder_2.text_model.encoder.layers.3.self_attn.to_out_lora.up.weight", LoraComponent.TextEncoder2, "text_model.encoder.layers.3.self_attn.out_proj", LoraWeightRole.Up)]
    [InlineData("text_encoder.text_model.encoder.layers.0.mlp.fc2.lora_linear_layer.up.weight", LoraComponent.TextEncoder, "text_model.encoder.layers.0.mlp.fc2", LoraWeightRole.Up)]
    public void Parse_SplitsDiffusersNames(string name, LoraComponent component, string module, LoraWeightRole role) =>
        Assert.Equal(new LoraKey(component, module, role, IsKohya: false), LoraKey.Parse(name));

    [Theory]
    [InlineData("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", LoraComponent.Unet, "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q", LoraWeightRole.Down)]
    [InlineData("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight", LoraComponent.Unet, "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q", LoraWeightRole.Up)]
    [InlineData("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha", LoraComponent.Unet, "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q", LoraWeightRole.Alpha)]
    [InlineData("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", LoraComponent.TextEncoder, "text_model_encoder_layers_0_self_attn_q_proj", LoraWeightRole.Down)]
    [InlineData("lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", LoraComponent.TextEncoder, "text_model_encoder_layers_0_self_attn_q_proj", LoraWeightRole.Up)]
    [InlineData("lora_te2_text_model_encoder_layers_0_mlp_fc2.alpha", LoraComponent.TextEncoder2, "text_model_encoder_layers_0_mlp_fc2", LoraWeightRole.Alpha)]
    public void Parse_SplitsKohyaNames(string name, LoraComponent component, string module, LoraWeightRole role) =>
        Assert.Equal(new LoraKey(component, module, role, IsKohya: true), LoraKey.Parse(name));

    [Theory]
    [InlineData("vae.decoder.conv_in.lora_A.weight")]
    [InlineData("unet.down_blocks.0.attentions.0.proj_in.weight")]
    [InlineData("lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a")]
    [InlineData("lora_unet_.lora_down.weight")]
    public void Parse_RefusesOtherNames(string name)
    {
        var error = Assert.Throws<SafetensorsFormatException>(() => LoraKey.Parse(name));
        Assert.Contains(name, error.Message);
    }
}
