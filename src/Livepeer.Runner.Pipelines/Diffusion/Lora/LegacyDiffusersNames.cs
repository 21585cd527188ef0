namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// Diffusers' attention-processor LoRA names (its 2023 training scripts' files, and what its kohya conversion
/// emits): <c>attn1.processor.to_q_lora.down.weight</c> in the UNet, <c>self_attn.to_q_lora.down.weight</c> and
/// <c>mlp.fc1.lora_linear_layer.down.weight</c> in the text encoders. Rewritten to the module-path form
/// (<c>attn1.to_q.lora.down.weight</c>, <c>self_attn.q_proj.lora.down.weight</c>) before the key is split.
/// </summary>
internal static class LegacyDiffusersNames
{
    private static readonly (string Old, string New)[] Unet =
    [
        (".processor.to_q_lora.", ".to_q.lora."),
        (".processor.to_k_lora.", ".to_k.lora."),
        (".processor.to_v_lora.", ".to_v.lora."),
        (".processor.to_out_lora.", ".to_out.0.lora."),
    ];

    private static readonly (string Old, string New)[] TextEncoder =
    [
        (".to_q_lora.", ".q_proj.lora."),
        (".to_k_lora.", ".k_proj.lora."),
        (".to_v_lora.", ".v_proj.lora."),
        (".to_out_lora.", ".out_proj.lora."),
        (".lora_linear_layer.", ".lora."),
    ];

    public static string Modernize(string name, LoraComponent component)
    {
        if (component == LoraComponent.Transformer)
            return name; // the attention-processor names predate the diffusion transformers
        foreach (var (old, replacement) in component == LoraComponent.Unet ? Unet : TextEncoder)
        {
            if (name.Contains(old, StringComparison.Ordinal))
                return name.Replace(old, replacement, StringComparison.Ordinal);
        }

        return name;
    }
}
