using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>An adapter as a request weighs it: its parsed modules and the strength they are merged with.</summary>
public sealed record WeightedAdapter(LoraAdapter Adapter, float Weight);

/// <summary>
/// One adapter set built for one model: a new session for each component the adapters patch (UNet or transformer, text encoders),
/// opened from the same graph with the patched weights (W + Σ weight·ΔW, in the initializer's own layout and type)
/// in place of the originals: written into a copy of the graph file where the file holds them, given as external
/// initializers where external data does (<see cref="OnnxSessionFactory.Create(string, string, byte[], IReadOnlyList{ValueTuple{string, OrtValue}})"/>);
/// the components they do not touch, the VAE and the safety checker are the base model's own. <see cref="Model"/> is the base model with these components swapped in.
/// </summary>
public sealed class LoraSet : IDisposable
{
    private readonly List<InferenceSession> _sessions;
    private readonly List<OrtValue> _overrides;

    private LoraSet(ILoraTarget model, List<InferenceSession> sessions, List<OrtValue> overrides, long bytes)
    {
        Model = model;
        _sessions = sessions;
        _overrides = overrides;
        Bytes = bytes;
    }

    /// <summary>The base model with the patched components in place; never disposed itself (it shares the base's parts).</summary>
    public ILoraTarget Model { get; }

    /// <summary>What the set holds beside the base model: every patched component's weights once more.</summary>
    public long Bytes { get; }

    /// <summary>The set's memory before it is built: each patched graph's weights (a session holds all of its own).</summary>
    public static long EstimateBytes(IReadOnlyDictionary<LoraComponent, LoraGraph> graphs, IReadOnlyList<WeightedAdapter> adapters) =>
        Components(adapters).Sum(c => graphs[c].WeightBytes);

    /// <summary>
    /// Merges <paramref name="adapters"/> into the base weights of the components they patch and opens those sessions.
    /// Throws <see cref="LoraMismatchException"/> when an update does not fit its weight's shape.
    /// </summary>
    public static LoraSet Build(ILoraTarget model, IReadOnlyDictionary<LoraComponent, LoraGraph> graphs, IReadOnlyList<WeightedAdapter> adapters,
        OnnxSessionFactory sessionFactory, CancellationToken cancellationToken)
    {
        var sessions = new List<InferenceSession>();
        var overrides = new List<OrtValue>();
        try
        {
            var opened = new Dictionary<LoraComponent, InferenceSession>();
            foreach (var component in Components(adapters))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var graph = graphs[component];
                var (modelBytes, external) = Patch(graph, adapters, overrides);
                var session = sessionFactory.Create(model.ModelId, graph.Path, modelBytes, external);
                sessions.Add(session);
                opened[component] = session;
            }

            return new LoraSet(model.WithSessions(opened), sessions, overrides, EstimateBytes(graphs, adapters));
        }
        catch
        {
            Release(sessions, overrides);
            throw;
        }
    }

    private static IEnumerable<LoraComponent> Components(IReadOnlyList<WeightedAdapter> adapters) =>
        adapters.SelectMany(a => a.Adapter.Modules).Select(m => m.Component).Distinct().Order();

    /// <summary>
    /// The merged weights of <paramref name="graph"/>'s patched modules: those the graph file holds written into a copy
    /// of it (null when there are none), those in external data as host values (kept in <paramref name="owned"/>).
    /// </summary>
    private static (byte[]? ModelBytes, List<(string Name, OrtValue Value)> External) Patch(LoraGraph graph, IReadOnlyList<WeightedAdapter> adapters, List<OrtValue> owned)
    {
        var byModule = adapters
            .SelectMany(a => a.Adapter.Modules.Where(m => m.Component == graph.Component).Select(m => (Module: m, a.Weight)))
            .GroupBy(x => x.Module.ModulePath, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        byte[]? modelBytes = null;
        var external = new List<(string, OrtValue)>();
        foreach (var module in byModule)
        {
            if (!graph.Targets.TryGetValue(module.Key, out var target))
                throw new LoraMismatchException($"Module '{module.Key}' has no MatMul, Gemm or Conv weight in {graph.Component}.");
            var weight = target.Weight;
            var values = LoraMerge.ReadFloat32(weight);
            foreach (var (lora, strength) in module)
                LoraMerge.AddInto(values, weight.Dims, target.Layout, LoraDelta.Compute(lora, strength), module.Key);

            if (weight.Data.File == Path.GetFullPath(graph.Path))
            {
                modelBytes ??= File.ReadAllBytes(graph.Path);
                LoraMerge.Write(values, weight, modelBytes.AsSpan((int)weight.Data.Offset, (int)weight.Data.Length));
                continue;
            }

            var shape = weight.Dims.ToArray();
            var value = weight.DataType == LoraMerge.OnnxFloat16
                ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (Float16)v), shape)
                : OrtValue.CreateTensorValueFromMemory(values, shape);
            owned.Add(value);
            external.Add((weight.Name, value));
        }

        return (modelBytes, external);
    }

    public void Dispose() => Release(_sessions, _overrides);

    private static void Release(List<InferenceSession> sessions, List<OrtValue> overrides)
    {
        foreach (var session in sessions)
            session.Dispose();
        foreach (var value in overrides)
            value.Dispose();
        sessions.Clear();
        overrides.Clear();
    }
}
