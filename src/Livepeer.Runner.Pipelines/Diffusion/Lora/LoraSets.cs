using System.Globalization;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// One loaded model's LoRA state: its component graphs' patchable modules (read once, on the first LoRA request), the
/// adapters read against them, the adapter sets built from them — keyed by (adapter file, weight) of the adapters at a
/// weight above 0; those at 0 add nothing, as ai-runner sets every loaded adapter a request does not name to 0 — and
/// one branch session per patched component (<see cref="LoraBranches"/>) that every set runs on. At most
/// <see cref="MaxCached"/> sets and adapters are kept, the least recently used going first. Memory goes to the model's
/// ledger entry while it is held (<see cref="ModelLease.TryCharge"/>): each branch session its component's weights, once;
/// each set its factors. Called under the model's lease, so a build is part of its request's turn (no other request
/// runs on the model meanwhile, so a branch session can be replaced): the requests behind it wait as the queue rules say.
/// </summary>
/// <param name="singleCopy">
/// RUNNER_LORA_SINGLE_COPY: when a component's branch session opens, the model's own session of it is closed and its
/// memory refunded, and every request, with LoRAs or not, runs that component on the branch session (zeros without).
/// </param>
public sealed class LoraSets(string modelId, string folder, OnnxSessionFactory sessions, bool singleCopy = false) : IDisposable
{
    /// <summary>ai-runner's LORA_MAX_LOADED.</summary>
    public const int MaxCached = 12;

    private readonly Lock _gate = new();
    private readonly LinkedList<(string Key, LoraSet Set)> _sets = new();
    private readonly LinkedList<(string Path, LoraAdapter Adapter)> _adapters = new();
    private readonly Dictionary<LoraComponent, LoraBranches> _branches = [];
    private readonly HashSet<LoraComponent> _released = [];
    private IReadOnlyDictionary<LoraComponent, LoraGraph>? _graphs;
    private LoraModuleIndex? _index;

    /// <summary>
    /// The model to generate with for <paramref name="requested"/>: <paramref name="model"/> itself when no adapter has a
    /// weight above 0 (in single-copy mode, the model on the branch sessions of the components whose own it closed, fed
    /// zeros), else the model on its branch sessions fed the cached or newly built set. Every requested adapter is read
    /// and checked against the base model, weight 0 included. Errors are <see cref="LoraException"/>s with the
    /// contract's messages.
    /// </summary>
    public TModel Apply<TModel>(TModel model, IReadOnlyList<RequestedLora> requested, ModelLease lease, CancellationToken cancellationToken)
        where TModel : class, ILoraTarget
    {
        if (requested.Count == 0 && !singleCopy)
            return model;
        lock (_gate)
        {
            var adapters = requested.Select(r => (Request: r, Adapter: Adapter(r))).ToList();
            var active = adapters.Where(a => a.Request.Weight > 0).OrderBy(a => a.Request.FilePath, StringComparer.Ordinal).ToList();
            if (active.Count == 0)
                return _released.Count == 0 ? model : (TModel)model.WithSessions(_released.ToDictionary(c => c, c => _branches[c].For(LoraSet.Empty)));

            var first = active[0].Request.Repo;
            var key = string.Join('\n', active.Select(a => $"{a.Request.FilePath}\t{a.Request.Weight.ToString("R", CultureInfo.InvariantCulture)}"));
            var set = TakeRecent(_sets, key) ?? Build(key, active.Select(a => new WeightedAdapter(a.Adapter, (float)a.Request.Weight)).ToList(), first, lease, cancellationToken);
            try
            {
                var components = set.Components.Union(_released).ToList(); // Branches may add to _released
                var patched = components.ToDictionary(c => c, c => Branches(model, c, set, first, lease).For(set));
                return (TModel)model.WithSessions(patched);
            }
            catch (Exception e)
            {
                if (e is LoraMismatchException)
                    Forget(set, lease); // a module its branch cannot carry: the set can never run
                throw e switch
                {
                    LoraMismatchException => Incompatible(),
                    OnnxRuntimeException or Core.Errors.ModelLoadException or IOException or InvalidDataException => Unloadable(first),
                    _ => e,
                };
            }
        }
    }

    /// <summary>The value kept under <paramref name="key"/> in an LRU list, moved to the front as just used; default when absent.</summary>
    private static T? TakeRecent<T>(LinkedList<(string Key, T Value)> list, string key)
        where T : class
    {
        for (var node = list.First; node is not null; node = node.Next)
        {
            if (node.Value.Key != key)
                continue;
            list.Remove(node);
            list.AddFirst(node);
            return node.Value.Value;
        }

        return null;
    }

    /// <summary>Charges <paramref name="bytes"/>, evicting the oldest sets while more than <paramref name="keep"/> remain; false when it cannot.</summary>
    private bool Charge(ModelLease lease, long bytes, int keep)
    {
        while (!lease.TryCharge(bytes))
        {
            if (_sets.Count <= keep)
                return false;
            EvictOldest(lease);
        }

        return true;
    }

    /// <summary>Builds the set's factors, charges them (evicting older sets when the ledger is full) and caches the set first.</summary>
    private LoraSet Build(string key, IReadOnlyList<WeightedAdapter> weighted, string first, ModelLease lease, CancellationToken cancellationToken)
    {
        LoraSet set;
        try
        {
            set = LoraSet.Build(Graphs(), weighted, cancellationToken);
        }
        catch (LoraMismatchException)
        {
            throw Incompatible();
        }

        while (_sets.Count >= MaxCached)
            EvictOldest(lease);
        if (!Charge(lease, set.Bytes, keep: 0))
        {
            set.Dispose();
            throw Unloadable(first);
        }

        _sets.AddFirst((key, set));
        return set;
    }

    /// <summary>
    /// <paramref name="component"/>'s branch session, with a branch for every module <paramref name="set"/> patches: the
    /// open one, or a new one with the old one's branches and the set's, charged to the ledger (evicting other sets when
    /// it is full). The old one is closed before the new one opens, so their weights are not held twice — except for a
    /// component whose own session is closed (single copy), where the old one must keep serving if the new one fails.
    /// In single-copy mode the first branch session of a component closes the model's own session of it.
    /// </summary>
    private LoraBranches Branches(ILoraTarget model, LoraComponent component, LoraSet set, string first, ModelLease lease)
    {
        var needed = set.ModulesOf(component).ToList();
        _branches.TryGetValue(component, out var open);
        if (open is not null && open.Covers(needed))
            return open;

        var modules = needed.Concat(open?.Modules ?? []).ToList();
        if (open is not null && !_released.Contains(component))
        {
            Close(component, open, lease);
            open = null;
        }

        var graph = Graphs()[component];
        if (!Charge(lease, graph.WeightBytes, keep: 1)) // the set being served stays
            throw Unloadable(first);

        LoraBranches branches;
        try
        {
            branches = LoraBranches.Open(modelId, graph, modules, sessions);
        }
        catch
        {
            lease.Refund(graph.WeightBytes);
            throw;
        }

        if (open is not null)
            Close(component, open, lease);
        _branches[component] = branches;
        if (singleCopy && _released.Add(component))
        {
            model.ReleaseBaseSession(component);
            lease.Refund(graph.WeightBytes);
        }

        return branches;
    }

    private void Close(LoraComponent component, LoraBranches branches, ModelLease lease)
    {
        _branches.Remove(component);
        branches.Dispose();
        lease.Refund(branches.Bytes);
    }

    private void EvictOldest(ModelLease lease) => Forget(_sets.Last!.Value.Set, lease);

    private void Forget(LoraSet set, ModelLease lease)
    {
        for (var node = _sets.First; node is not null; node = node.Next)
        {
            if (node.Value.Set != set)
                continue;
            _sets.Remove(node);
            set.Dispose();
            lease.Refund(set.Bytes);
            return;
        }
    }

    /// <summary>The adapter in <paramref name="request"/>'s file, read against the base model's modules (kept for later requests).</summary>
    private LoraAdapter Adapter(RequestedLora request)
    {
        if (TakeRecent(_adapters, request.FilePath) is { } known)
            return known;

        LoraAdapter adapter;
        try
        {
            Graphs();
            adapter = LoraAdapter.Load(request.FilePath, _index);
        }
        catch (LoraMismatchException)
        {
            throw Incompatible();
        }
        catch (Exception e) when (e is SafetensorsFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw Unloadable(request.Repo);
        }

        if (adapter.Modules.Count == 0)
            throw Incompatible();
        _adapters.AddFirst((request.FilePath, adapter));
        if (_adapters.Count > MaxCached)
            _adapters.RemoveLast();
        return adapter;
    }

    /// <summary>The model's component graphs that LoRAs patch, with the index of their modules; read on first use.</summary>
    private IReadOnlyDictionary<LoraComponent, LoraGraph> Graphs()
    {
        if (_graphs is not null)
            return _graphs;
        var graphs = LoraGraph.ReadFolder(folder);
        _index = LoraGraph.Index(graphs.Values);
        return _graphs = graphs;
    }

    private LoraException Incompatible() => new($"LoRa incompatible with base model: '{modelId}'.");

    private static LoraException Unloadable(string repo) => new($"Unable to load LoRas for adapter '{repo}'.");

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, set) in _sets)
                set.Dispose();
            _sets.Clear();
            foreach (var branches in _branches.Values)
                branches.Dispose();
            _branches.Clear();
        }
    }
}

/// <summary>The leased diffusion model as a request with LoRAs generates on it.</summary>
public static class LoraLease
{
    /// <summary>The leased model (UNet or transformer), or its adapter set for <paramref name="requested"/> (<see cref="LoraSets.Apply"/>).</summary>
    public static TModel WithLoras<TModel>(this ModelLease lease, IReadOnlyList<RequestedLora> requested, CancellationToken cancellationToken)
        where TModel : class, ILoraTarget
    {
        var model = lease.Get<TModel>();
        return model.Loras.Apply(model, requested, lease, cancellationToken);
    }
}
