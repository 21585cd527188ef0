using System.Globalization;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// Kohya UNet names in the original Stable Diffusion ("SGM") layout, <c>input_blocks_4_1_…</c>,
/// <c>middle_block_1_…</c>, <c>output_blocks_2_2_conv</c>, rewritten to diffusers' layout in kohya's underscore form
/// (<c>down_blocks_1_attentions_0_…</c>), as diffusers' <c>_maybe_map_sgm_blocks_to_diffusers</c> and
/// <c>_convert_unet_lora_key</c> do. An input block i ≥ 1 is down block (i−1) / (L+1), layer (i−1) mod (L+1), with
/// L the UNet's layers per block (the last layer of each being its downsampler, <c>op</c>); an output block i is up
/// block i / (L+1), layer i mod (L+1); the middle block's 0, 1, 2 are resnet 0, attention 0, resnet 1. Inside a
/// block, 0 is the resnet, 1 the attention, 2 the upsampler; resnet leaves get diffusers' names.
/// </summary>
internal static class KohyaSgmNames
{
    private static readonly string[] InnerBlocks = ["resnets", "attentions", "upsamplers"];

    private static readonly (string Sgm, string Diffusers)[] ResnetLeaves =
    [
        ("in_layers_2", "conv1"),
        ("out_layers_3", "conv2"),
        ("emb_layers_1", "time_emb_proj"),
        ("skip_connection", "conv_shortcut"),
    ];

    public static bool IsSgm(string kohyaName) =>
        kohyaName.StartsWith("input_blocks_", StringComparison.Ordinal)
        || kohyaName.StartsWith("middle_block_", StringComparison.Ordinal)
        || kohyaName.StartsWith("output_blocks_", StringComparison.Ordinal);

    /// <summary>The diffusers-layout underscore name; null when the name does not have the SGM block shape.</summary>
    public static string? ToDiffusers(string kohyaName, int layersPerBlock)
    {
        var parts = kohyaName.Split('_');
        if (parts.Length < 4 || !TryIndex(parts[2], out var block))
            return null;

        string[] head;
        string[] rest;
        if (parts[0] == "middle")
        {
            head = block switch
            {
                0 => ["mid_block", "resnets", "0"],
                1 => ["mid_block", "attentions", "0"],
                2 => ["mid_block", "resnets", "1"],
                _ => [],
            };
            rest = parts[3..];
        }
        else
        {
            if (parts.Length < 5 || !TryIndex(parts[3], out var inner) || inner >= InnerBlocks.Length)
                return null;
            rest = parts[4..];
            var isDownsampler = rest is ["op"];
            if (parts[0] == "input")
            {
                if (block == 0)
                    return null;
                var layer = (block - 1) % (layersPerBlock + 1);
                head = isDownsampler
                    ? ["down_blocks", Text((block - 1) / (layersPerBlock + 1)), "downsamplers", "0"]
                    : ["down_blocks", Text((block - 1) / (layersPerBlock + 1)), InnerBlocks[inner], Text(layer)];
                if (isDownsampler)
                    rest = ["conv"];
            }
            else
            {
                var layer = inner < 2 ? block % (layersPerBlock + 1) : 0;
                head = ["up_blocks", Text(block / (layersPerBlock + 1)), InnerBlocks[inner], Text(layer)];
            }
        }

        if (head.Length == 0 || rest.Length == 0)
            return null;
        var leaf = string.Join('_', rest);
        if (head[^2] == "resnets")
            leaf = ResnetLeaves.FirstOrDefault(r => r.Sgm == leaf).Diffusers ?? leaf;
        return $"{string.Join('_', head)}_{leaf}";
    }

    private static bool TryIndex(string text, out int index) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out index);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
