namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>An adapter as a request weighs it: its parsed modules and the strength its updates are applied with.</summary>
public sealed record WeightedAdapter(LoraAdapter Adapter, float Weight);

/// <summary>
/// One adapter set built for one model: the branch factors (<see cref="LoraBranchFactors"/>) of every module its
/// adapters patch, by component. A set holds no session and no copy of a base weight: it is fed to the model's shared
/// branch sessions (<see cref="LoraBranches"/>), so its memory is its adapters' own size.
/// </summary>
public sealed class LoraSet : IDisposable
{
    private readonly Dictionary<(LoraComponent Component, string Module), LoraBranchFactors> _factors;

    private LoraSet(Dictionary<(LoraComponent Component, string Module), LoraBranchFactors> factors)
    {
        _factors = factors;
        Bytes = factors.Values.Sum(f => f.Bytes);
        Components = factors.Keys.Select(k => k.Component).Distinct().Order().ToList();
    }

    /// <summary>No adapter: what a request without LoRAs feeds a branch session (zeros everywhere).</summary>
    public static LoraSet Empty { get; } = new([]);

    /// <summary>The components the set patches (UNet or transformer, text encoders).</summary>
    public IReadOnlyList<LoraComponent> Components { get; }

    /// <summary>What the set holds: its factors.</summary>
    public long Bytes { get; }

    /// <summary>The module paths the set patches in <paramref name="component"/>.</summary>
    public IEnumerable<string> ModulesOf(LoraComponent component) =>
        _factors.Keys.Where(k => k.Component == component).Select(k => k.Module);

    /// <summary>The factors of <paramref name="module"/> of <paramref name="component"/>, or null when the set leaves it alone.</summary>
    public LoraBranchFactors? Factors(LoraComponent component, string module) => _factors.GetValueOrDefault((component, module));

    /// <summary>
    /// The factors of <paramref name="adapters"/> against <paramref name="graphs"/>' modules. Throws
    /// <see cref="LoraMismatchException"/> when a module is missing from its graph or an update does not fit its weight.
    /// </summary>
    public static LoraSet Build(IReadOnlyDictionary<LoraComponent, LoraGraph> graphs, IReadOnlyList<WeightedAdapter> adapters, CancellationToken cancellationToken)
    {
        var factors = new Dictionary<(LoraComponent Component, string Module), LoraBranchFactors>();
        try
        {
            var byModule = adapters
                .SelectMany(a => a.Adapter.Modules.Select(m => (Module: m, a.Weight)))
                .GroupBy(x => (x.Module.Component, x.Module.ModulePath));
            foreach (var module in byModule)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (component, path) = module.Key;
                if (!graphs.TryGetValue(component, out var graph) || !graph.Targets.TryGetValue(path, out var target))
                    throw new LoraMismatchException($"Module '{path}' has no MatMul, Gemm or Conv weight in {component}.");
                factors[module.Key] = LoraBranchFactors.Stack(target, module.ToList());
            }

            return new LoraSet(factors);
        }
        catch
        {
            foreach (var built in factors.Values)
                built.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var factors in _factors.Values)
            factors.Dispose();
        _factors.Clear();
    }
}
