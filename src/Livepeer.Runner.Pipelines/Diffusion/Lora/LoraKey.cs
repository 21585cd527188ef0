namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>The model part a LoRA module patches (diffusers' component folder names).</summary>
public enum LoraComponent
{
    Unet,
    TextEncoder,

    /// <summary>SDXL's second text encoder (kohya's <c>lora_te2_</c>); SD3's CLIP-G; Flux's T5.</summary>
    TextEncoder2,

    /// <summary>The denoiser of Flux and SD3 (diffusers/PEFT <c>transformer.</c>).</summary>
    Transformer,
}

/// <summary>What a LoRA tensor is to its module.</summary>
public enum LoraWeightRole
{
    /// <summary>A (PEFT's lora_A, kohya's lora_down): rank × in.</summary>
    Down,

    /// <summary>B (PEFT's lora_B, kohya's lora_up): out × rank.</summary>
    Up,

    /// <summary>The scalar alpha; the module's scale is alpha / rank.</summary>
    Alpha,
}

/// <summary>
/// One tensor name of a LoRA file, split into its component, its module and its role. <see cref="Module"/> is the
/// dotted diffusers path for diffusers/PEFT names, and kohya's underscore-joined name (still to be resolved against
/// the base model's modules, <see cref="LoraModuleIndex"/>) when <see cref="IsKohya"/>.
/// </summary>
public readonly record struct LoraKey(LoraComponent Component, string Module, LoraWeightRole Role, bool IsKohya)
{
    private static readonly (string Prefix, LoraComponent Component)[] DiffusersPrefixes =
    [
        ("unet.", LoraComponent.Unet),
        ("text_encoder.", LoraComponent.TextEncoder),
        ("text_encoder_2.", LoraComponent.TextEncoder2),
        ("transformer.", LoraComponent.Transformer),
    ];

    private static readonly (string Prefix, LoraComponent Component)[] KohyaPrefixes =
    [
        ("lora_unet_", LoraComponent.Unet),
        ("lora_te_", LoraComponent.TextEncoder),
        ("lora_te1_", LoraComponent.TextEncoder),
        ("lora_te2_", LoraComponent.TextEncoder2),
    ];

    private static readonly (string Suffix, LoraWeightRole Role)[] DiffusersSuffixes =
    [
        (".lora_A.weight", LoraWeightRole.Down),
        (".lora_B.weight", LoraWeightRole.Up),
        (".lora.down.weight", LoraWeightRole.Down),
        (".lora.up.weight", LoraWeightRole.Up),
        (".alpha", LoraWeightRole.Alpha),
    ];

    private static readonly (string Suffix, LoraWeightRole Role)[] KohyaSuffixes =
    [
        (".lora_down.weight", LoraWeightRole.Down),
        (".lora_up.weight", LoraWeightRole.Up),
        (".alpha", LoraWeightRole.Alpha),
    ];

    /// <summary>Splits <paramref name="name"/>; throws <see cref="SafetensorsFormatException"/> for a name of neither naming.</summary>
    public static LoraKey Parse(string name)
    {
        if (TryParse(name, KohyaPrefixes, KohyaSuffixes, isKohya: true, out var key)
            || TryParse(name, DiffusersPrefixes, DiffusersSuffixes, isKohya: false, out key))
        {
            return key;
        }

        throw new SafetensorsFormatException(
            $"Tensor '{name}' is not a LoRA weight this runner reads (diffusers/PEFT lora_A/lora_B or lora.down/lora.up, "
            + "kohya lora_down/lora_up/alpha; under unet, transformer, text_encoder or text_encoder_2).");
    }

    private static bool TryParse(
        string name,
        (string Prefix, LoraComponent Component)[] prefixes,
        (string Suffix, LoraWeightRole Role)[] suffixes,
        bool isKohya,
        out LoraKey key)
    {
        foreach (var (prefix, component) in prefixes)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var rest = isKohya ? name[prefix.Length..] : LegacyDiffusersNames.Modernize(name[prefix.Length..], component);
            foreach (var (suffix, role) in suffixes)
            {
                if (rest.Length > suffix.Length && rest.EndsWith(suffix, StringComparison.Ordinal))
                {
                    key = new LoraKey(component, rest[..^suffix.Length], role, isKohya);
                    return true;
                }
            }
        }

        key = default;
        return false;
    }
}
