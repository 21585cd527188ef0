namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// The base model's module paths per component (diffusers' dotted form, e.g.
/// <c>down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q</c>), so kohya's underscore-joined names can be
/// resolved: module names hold underscores themselves (<c>to_q</c>, <c>down_blocks</c>), so
/// <c>…_attn1_to_q</c> cannot be split back by rule alone, but it matches exactly one known path joined with
/// underscores. This works for any model whose modules are known (an ONNX export's initializer names give them).
/// Two paths that join to the same name make that name ambiguous, and a kohya key naming it is refused.
/// </summary>
public sealed class LoraModuleIndex
{
    private readonly Dictionary<(LoraComponent, string), string?> _byKohyaName = [];
    private readonly HashSet<(LoraComponent, string)> _paths = [];
    private readonly IReadOnlyDictionary<(LoraComponent, string), long> _outFeatures;

    /// <param name="outFeatures">Each module's output features where known (a graph's targets), to split fused kohya Flux modules.</param>
    public LoraModuleIndex(IEnumerable<(LoraComponent Component, string ModulePath)> modules, IReadOnlyDictionary<(LoraComponent, string), long>? outFeatures = null)
    {
        _outFeatures = outFeatures ?? new Dictionary<(LoraComponent, string), long>();
        foreach (var (component, path) in modules)
        {
            if (!_paths.Add((component, path)))
                continue;
            var kohyaName = path.Replace('.', '_');
            _byKohyaName[(component, kohyaName)] = _byKohyaName.ContainsKey((component, kohyaName)) ? null : path;
        }
    }

    /// <summary>
    /// The modules of <paramref name="component"/> that own the given weight names (<c>….weight</c> / <c>….bias</c>,
    /// as in a state dict or an ONNX export's initializers); other names are skipped.
    /// </summary>
    public static IEnumerable<(LoraComponent, string)> FromWeightNames(LoraComponent component, IEnumerable<string> weightNames)
    {
        foreach (var name in weightNames)
        {
            if (name.EndsWith(".weight", StringComparison.Ordinal))
                yield return (component, name[..^".weight".Length]);
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                yield return (component, name[..^".bias".Length]);
        }
    }

    /// <summary>Whether the base model has the dotted module path.</summary>
    public bool Contains(LoraComponent component, string modulePath) => _paths.Contains((component, modulePath));

    /// <summary>Whether the base model has any module in <paramref name="component"/>.</summary>
    public bool Has(LoraComponent component) => _paths.Any(p => p.Item1 == component);

    /// <summary>The module's output features, or null when the index was not told them.</summary>
    public long? OutFeatures(LoraComponent component, string modulePath) =>
        _outFeatures.TryGetValue((component, modulePath), out var features) ? features : null;

    /// <summary>
    /// The dotted path kohya's <paramref name="kohyaName"/> names; throws when none or several do. UNet names in the
    /// original SD block layout (<see cref="KohyaSgmNames"/>) are first rewritten to diffusers' layout, with the
    /// layers per block counted from the base model's <c>down_blocks.0.resnets</c>.
    /// </summary>
    public string Resolve(LoraComponent component, string kohyaName)
    {
        var lookupName = kohyaName;
        if (component == LoraComponent.Unet && KohyaSgmNames.IsSgm(kohyaName))
        {
            lookupName = KohyaSgmNames.ToDiffusers(kohyaName, UnetLayersPerBlock()) ?? throw new LoraMismatchException(
                $"Kohya module '{kohyaName}' has no diffusers counterpart in the SD block layout this runner maps.");
        }

        if (!_byKohyaName.TryGetValue((component, lookupName), out var path))
            throw new LoraMismatchException($"Kohya module '{kohyaName}' names no {component} module of the base model.");
        return path ?? throw new LoraMismatchException(
            $"Kohya module '{kohyaName}' is ambiguous: several {component} modules of the base model join to that name.");
    }

    private int UnetLayersPerBlock()
    {
        const string prefix = "down_blocks.0.resnets.";
        var layers = _paths
            .Where(p => p.Item1 == LoraComponent.Unet && p.Item2.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => p.Item2[prefix.Length..].Split('.')[0])
            .Distinct(StringComparer.Ordinal)
            .Count();
        return layers > 0 ? layers : throw new LoraMismatchException(
            "Kohya names in the SD block layout need the base UNet's down_blocks.0.resnets modules to count its layers per block.");
    }
}
