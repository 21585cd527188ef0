namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// A LoRA adapter read from a safetensors file in either naming (diffusers/PEFT or kohya), as one
/// <see cref="LoraModule"/> per patched module. Kohya names are resolved against <see cref="LoraModuleIndex"/>;
/// diffusers names are checked against it when one is given.
/// </summary>
public sealed class LoraAdapter
{
    private LoraAdapter(IReadOnlyList<LoraModule> modules) => Modules = modules;

    public IReadOnlyList<LoraModule> Modules { get; }

    /// <summary>Reads the adapter in <paramref name="path"/>; see <see cref="Read(SafetensorsFile, LoraModuleIndex?)"/>.</summary>
    public static LoraAdapter Load(string path, LoraModuleIndex? baseModules)
    {
        using var file = SafetensorsFile.Open(path);
        return Read(file, baseModules);
    }

    /// <summary>
    /// Groups the file's tensors by module and checks each group: a down and an up, ranks that agree, an optional
    /// scalar alpha. Throws <see cref="SafetensorsFormatException"/> naming the first problem.
    /// </summary>
    public static LoraAdapter Read(SafetensorsFile file, LoraModuleIndex? baseModules)
    {
        var groups = new Dictionary<(LoraComponent, string), Dictionary<LoraWeightRole, SafetensorsTensor>>();
        var fused = new Dictionary<(LoraComponent, string), KohyaFluxNames.Mapping>();
        foreach (var tensor in file.Tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var key = LoraKey.Parse(tensor.Name);
            var (component, modulePath, mapping) = Resolve(key, baseModules);
            if (!groups.TryGetValue((component, modulePath), out var group))
                groups[(component, modulePath)] = group = [];
            if (mapping is not null)
                fused[(component, modulePath)] = mapping;
            if (!group.TryAdd(key.Role, tensor))
                throw new SafetensorsFormatException($"Module {component} '{modulePath}' has two {key.Role} weights ('{group[key.Role].Name}' and '{tensor.Name}').");
        }

        var modules = groups
            .OrderBy(g => g.Key.Item1).ThenBy(g => g.Key.Item2, StringComparer.Ordinal)
            .SelectMany(g =>
            {
                var module = BuildModule(file, g.Key.Item1, g.Key.Item2, g.Value);
                return fused.TryGetValue(g.Key, out var mapping) ? Split(module, mapping, baseModules!) : [module];
            })
            .ToList();
        return new LoraAdapter(modules);
    }

    /// <summary>
    /// The component and module a key's tensor belongs to. A kohya UNet name in Black Forest Labs' Flux layout, on a
    /// base model with a transformer, is a transformer module still to be split over the diffusers modules it covers
    /// (<see cref="KohyaFluxNames"/>); its group keeps the kohya name until then.
    /// </summary>
    private static (LoraComponent Component, string ModulePath, KohyaFluxNames.Mapping? Fused) Resolve(LoraKey key, LoraModuleIndex? baseModules)
    {
        if (!key.IsKohya || key.Component != LoraComponent.Unet || !KohyaFluxNames.IsFlux(key.Module) || baseModules?.Has(LoraComponent.Transformer) != true)
            return (key.Component, ModulePath(key, baseModules), null);

        var mapping = KohyaFluxNames.ToDiffusers(key.Module)
            ?? throw new LoraMismatchException($"Kohya Flux module '{key.Module}' has no diffusers counterpart this runner maps.");
        foreach (var module in mapping.Modules.Where(m => !baseModules.Contains(LoraComponent.Transformer, m)))
            throw new LoraMismatchException($"Kohya Flux module '{key.Module}' covers '{module}', which names no transformer module of the base model.");
        return (LoraComponent.Transformer, key.Module, mapping);
    }

    /// <summary>A fused kohya Flux module as one module per diffusers module: the same down, its rows of up.</summary>
    private static IEnumerable<LoraModule> Split(LoraModule fused, KohyaFluxNames.Mapping mapping, LoraModuleIndex baseModules)
    {
        var rows = mapping.Modules.Select(m => baseModules.OutFeatures(LoraComponent.Transformer, m)
            ?? throw new LoraMismatchException($"Kohya Flux module '{fused.ModulePath}': the base model does not say how wide '{m}' is.")).ToList();
        var upRows = fused.Up.Shape[0];
        if (fused.Up.Shape.Count != 2 || rows.Sum() != upRows || (mapping.SwapHalves && upRows % 2 != 0))
        {
            throw new LoraMismatchException(
                $"Kohya Flux module '{fused.ModulePath}': its update has {upRows} rows, but {string.Join(", ", mapping.Modules)} have {rows.Sum()}.");
        }

        var rank = fused.Rank;
        var up = fused.Up.Values;
        if (mapping.SwapHalves) // (shift, scale) rows → (scale, shift)
            up = [.. up.AsSpan(up.Length / 2), .. up.AsSpan(0, up.Length / 2)];
        var offset = 0L;
        for (var i = 0; i < rows.Count; i++)
        {
            var part = up[(int)(offset * rank)..(int)((offset + rows[i]) * rank)];
            yield return new LoraModule(LoraComponent.Transformer, mapping.Modules[i], fused.Down, new LoraMatrix(part, [(int)rows[i], rank]), fused.Scale);
            offset += rows[i];
        }
    }

    private static string ModulePath(LoraKey key, LoraModuleIndex? baseModules)
    {
        if (key.IsKohya)
        {
            return baseModules?.Resolve(key.Component, key.Module) ?? throw new SafetensorsFormatException(
                $"Kohya module '{key.Module}' cannot be resolved without the base model's module list.");
        }

        if (baseModules is not null && !baseModules.Contains(key.Component, key.Module))
            throw new LoraMismatchException($"Module '{key.Module}' names no {key.Component} module of the base model.");
        return key.Module;
    }

    private static LoraModule BuildModule(SafetensorsFile file, LoraComponent component, string path, Dictionary<LoraWeightRole, SafetensorsTensor> group)
    {
        var where = $"{component} module '{path}'";
        if (!group.TryGetValue(LoraWeightRole.Down, out var downTensor) || !group.TryGetValue(LoraWeightRole.Up, out var upTensor))
            throw new SafetensorsFormatException($"{where} needs both a down and an up weight; it has {string.Join(", ", group.Keys)}.");

        var down = ReadMatrix(file, downTensor);
        var up = ReadMatrix(file, upTensor);
        var downIsConv = down.Shape.Count == 4;
        if (down.Shape.Count is not (2 or 4) || up.Shape.Count != down.Shape.Count)
            throw new SafetensorsFormatException($"{where}: down [{string.Join(", ", down.Shape)}] and up [{string.Join(", ", up.Shape)}] are not both 2-D (linear) or both 4-D (conv).");
        if (downIsConv && (up.Shape[2] != 1 || up.Shape[3] != 1))
            throw new SafetensorsFormatException($"{where}: a conv up weight must have a 1×1 kernel; it is [{string.Join(", ", up.Shape)}].");

        var rank = down.Shape[0];
        if (rank == 0 || up.Shape[1] != rank)
            throw new SafetensorsFormatException($"{where}: down's rank {rank} and up's {up.Shape[1]} differ (or are 0).");

        var scale = 1f;
        if (group.TryGetValue(LoraWeightRole.Alpha, out var alphaTensor))
        {
            var alpha = file.ReadFloat32(alphaTensor);
            if (alpha.Length != 1 || !float.IsFinite(alpha[0]))
                throw new SafetensorsFormatException($"{where}: alpha '{alphaTensor.Name}' must be one finite number; it has {alpha.Length} values.");
            scale = alpha[0] / rank;
        }

        return new LoraModule(component, path, down, up, scale);
    }

    private static LoraMatrix ReadMatrix(SafetensorsFile file, SafetensorsTensor tensor)
    {
        if (tensor.Shape.Any(dim => dim > int.MaxValue))
            throw new SafetensorsFormatException($"Tensor '{tensor.Name}': a dimension of [{string.Join(", ", tensor.Shape)}] is too large.");
        return new LoraMatrix(file.ReadFloat32(tensor), tensor.Shape.Select(dim => (int)dim).ToArray());
    }
}
