using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>A component's session as an adapter set runs it: the shared branch session and the set's inputs to it.</summary>
public sealed record LoraSession(InferenceSession Session, SessionInputs Inputs);

/// <summary>
/// One component's shared LoRA session: its graph with a branch beside each module any cached adapter set has needed
/// (<see cref="LoraBranchGraph"/>), opened once and fed by every set. It holds the component's weights once more (a
/// session owns its initializers), whatever the number of sets; a branch a set leaves alone is fed rank-1 zeros.
/// </summary>
public sealed class LoraBranches : IDisposable
{
    private readonly InferenceSession _session;
    private readonly IReadOnlyList<string> _modules;
    private readonly IReadOnlyList<string> _inputNames; // each module's down and up input, in _modules' order
    private readonly Dictionary<string, LoraBranchFactors> _zeros;

    private LoraBranches(LoraComponent component, InferenceSession session, IReadOnlyList<string> modules, Dictionary<string, LoraBranchFactors> zeros, long bytes)
    {
        Component = component;
        _session = session;
        _modules = modules;
        _inputNames = [.. modules.SelectMany(m => new[] { LoraBranchGraph.DownInput(m), LoraBranchGraph.UpInput(m) })];
        _zeros = zeros;
        Bytes = bytes;
    }

    public LoraComponent Component { get; }

    /// <summary>The branched modules, by path.</summary>
    public IReadOnlyList<string> Modules => _modules;

    /// <summary>The session's weights: the graph's own, once (the zero factors, in + out values a module, are not counted).</summary>
    public long Bytes { get; }

    /// <summary>
    /// Opens <paramref name="graph"/> with branches beside <paramref name="modules"/>. Throws
    /// <see cref="LoraMismatchException"/> when a module's node cannot carry one, ONNX Runtime's errors when the session fails.
    /// </summary>
    public static LoraBranches Open(string modelId, LoraGraph graph, IEnumerable<string> modules, OnnxSessionFactory sessions)
    {
        var ordered = modules.Distinct().Order(StringComparer.Ordinal).ToList();
        var zeros = new Dictionary<string, LoraBranchFactors>(StringComparer.Ordinal);
        try
        {
            foreach (var module in ordered)
                zeros[module] = LoraBranchFactors.Zero(graph.Targets[module]);
            var session = sessions.Create(modelId, graph.Path, LoraBranchGraph.Rewrite(graph, ordered));
            return new LoraBranches(graph.Component, session, ordered, zeros, graph.WeightBytes);
        }
        catch
        {
            foreach (var zero in zeros.Values)
                zero.Dispose();
            throw;
        }
    }

    /// <summary>Whether every one of <paramref name="modules"/> has a branch here.</summary>
    public bool Covers(IEnumerable<string> modules) => modules.All(_zeros.ContainsKey);

    /// <summary>The session with <paramref name="set"/>'s factors for the branches it patches and zeros for the rest.</summary>
    public LoraSession For(LoraSet set)
    {
        var values = new List<OrtValue>(_inputNames.Count);
        foreach (var module in _modules)
        {
            var factors = set.Factors(Component, module) ?? _zeros[module];
            values.Add(factors.Down);
            values.Add(factors.Up);
        }

        return new LoraSession(_session, new SessionInputs(_inputNames, values));
    }

    public void Dispose()
    {
        _session.Dispose();
        foreach (var zero in _zeros.Values)
            zero.Dispose();
        _zeros.Clear();
    }
}
