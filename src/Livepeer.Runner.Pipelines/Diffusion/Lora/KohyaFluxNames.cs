using System.Text.RegularExpressions;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// Kohya's names for FLUX.1 LoRAs (sd-scripts), which follow Black Forest Labs' module names
/// (<c>lora_unet_double_blocks_0_img_attn_qkv</c>), mapped onto the diffusers modules an optimum export names its
/// nodes after, as diffusers' <c>_convert_kohya_flux_lora_to_diffusers</c> maps them. Some are fused in BFL's model:
/// a double block's <c>img_attn_qkv</c> is <c>attn.to_q</c>, <c>to_k</c>, <c>to_v</c> (<c>txt_attn_qkv</c> the
/// <c>add_*_proj</c>s), a single block's <c>linear1</c> is <c>to_q</c>, <c>to_k</c>, <c>to_v</c> and
/// <c>proj_mlp</c>: the update's rows split over them in that order (the down matrix is shared). The final layer's
/// modulation gives (shift, scale) in BFL's model and (scale, shift) in diffusers', so its rows are swapped.
/// </summary>
public static partial class KohyaFluxNames
{
    /// <summary>One kohya Flux module: the diffusers modules its rows cover, in order, and whether its two halves swap.</summary>
    public sealed record Mapping(IReadOnlyList<string> Modules, bool SwapHalves = false);

    private static readonly Dictionary<string, string> DoubleBlockParts = new(StringComparer.Ordinal)
    {
        ["img_attn_proj"] = "attn.to_out.0",
        ["img_mlp_0"] = "ff.net.0.proj",
        ["img_mlp_2"] = "ff.net.2",
        ["img_mod_lin"] = "norm1.linear",
        ["txt_attn_proj"] = "attn.to_add_out",
        ["txt_mlp_0"] = "ff_context.net.0.proj",
        ["txt_mlp_2"] = "ff_context.net.2",
        ["txt_mod_lin"] = "norm1_context.linear",
    };

    private static readonly Dictionary<string, string> TopLevel = new(StringComparer.Ordinal)
    {
        ["img_in"] = "x_embedder",
        ["txt_in"] = "context_embedder",
        ["time_in_in_layer"] = "time_text_embed.timestep_embedder.linear_1",
        ["time_in_out_layer"] = "time_text_embed.timestep_embedder.linear_2",
        ["vector_in_in_layer"] = "time_text_embed.text_embedder.linear_1",
        ["vector_in_out_layer"] = "time_text_embed.text_embedder.linear_2",
        ["guidance_in_in_layer"] = "time_text_embed.guidance_embedder.linear_1",
        ["guidance_in_out_layer"] = "time_text_embed.guidance_embedder.linear_2",
        ["final_layer_linear"] = "proj_out",
    };

    /// <summary>Whether <paramref name="kohyaName"/> (after <c>lora_unet_</c>) is in BFL's Flux layout.</summary>
    public static bool IsFlux(string kohyaName) =>
        BlockName().IsMatch(kohyaName) || TopLevel.ContainsKey(kohyaName) || kohyaName == FinalModulation;

    private const string FinalModulation = "final_layer_adaLN_modulation_1";

    /// <summary>The diffusers modules of a kohya Flux name; null when it is not one this map knows.</summary>
    public static Mapping? ToDiffusers(string kohyaName)
    {
        if (TopLevel.TryGetValue(kohyaName, out var module))
            return new Mapping([module]);
        if (kohyaName == FinalModulation)
            return new Mapping(["norm_out.linear"], SwapHalves: true);

        var match = BlockName().Match(kohyaName);
        if (!match.Success)
            return null;
        var (kind, block, part) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
        if (kind == "double")
        {
            var prefix = $"transformer_blocks.{block}.";
            return part switch
            {
                "img_attn_qkv" => new Mapping([prefix + "attn.to_q", prefix + "attn.to_k", prefix + "attn.to_v"]),
                "txt_attn_qkv" => new Mapping([prefix + "attn.add_q_proj", prefix + "attn.add_k_proj", prefix + "attn.add_v_proj"]),
                _ => DoubleBlockParts.TryGetValue(part, out var leaf) ? new Mapping([prefix + leaf]) : null,
            };
        }

        var single = $"single_transformer_blocks.{block}.";
        return part switch
        {
            "linear1" => new Mapping([single + "attn.to_q", single + "attn.to_k", single + "attn.to_v", single + "proj_mlp"]),
            "linear2" => new Mapping([single + "proj_out"]),
            "modulation_lin" => new Mapping([single + "norm.linear"]),
            _ => null,
        };
    }

    [GeneratedRegex(@"^(double|single)_blocks_(\d+)_(\w+)$")]
    private static partial Regex BlockName();
}
