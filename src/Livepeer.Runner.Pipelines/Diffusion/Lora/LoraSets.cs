using System.Globalization;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// One loaded model's LoRA state: its component graphs' patchable modules (read once, on the first LoRA request), the
/// adapters read against them, and the adapter sets built from them, keyed by (adapter file, weight) of the adapters
/// at a weight above 0 — those at 0 add nothing, as ai-runner sets every loaded adapter a request does not name to 0.
/// At most <see cref="MaxCached"/> sets and adapters are kept, the least recently used going first; a set's memory
/// is added to the model's ledger entry while it is kept (<see cref="ModelLease.TryCharge"/>). Called under the model's
/// lease, so a build is part of its request's turn: the requests behind it wait as the queue rules say, no longer.
/// </summary>
public sealed class LoraSets(string modelId, string folder, OnnxSessionFactory sessions) : IDisposable
{
    /// <summary>ai-runner's LORA_MAX_LOADED.</summary>
    public const int MaxCached = 12;

    private readonly Lock _gate = new();
    private readonly LinkedList<(string Key, LoraSet Set)> _sets = new();
    private readonly LinkedList<(string Path, LoraAdapter Adapter)> _adapters = new();
    private IReadOnlyDictionary<LoraComponent, LoraGraph>? _graphs;
    private LoraModuleIndex? _index;

    /// <summary>
    /// The model to generate with for <paramref name="requested"/>: <paramref name="model"/> itself when no adapter has a
    /// weight above 0, else the cached or newly built set's. Every requested adapter is read and checked against the
    /// base model, weight 0 included. Errors are <see cref="LoraException"/>s with the contract's messages.
    /// </summary>
    public TModel Apply<TModel>(TModel model, IReadOnlyList<RequestedLora> requested, ModelLease lease, CancellationToken cancellationToken)
        where TModel : class, ILoraTarget
    {
        if (requested.Count == 0)
            return model;
        lock (_gate)
        {
            var adapters = requested.Select(r => (Request: r, Adapter: Adapter(r))).ToList();
            var active = adapters.Where(a => a.Request.Weight > 0).OrderBy(a => a.Request.FilePath, StringComparer.Ordinal).ToList();
            if (active.Count == 0)
                return model;

            var key = string.Join('\n', active.Select(a => $"{a.Request.FilePath}\t{a.Request.Weight.ToString("R", CultureInfo.InvariantCulture)}"));
            for (var node = _sets.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key)
                    continue;
                _sets.Remove(node);
                _sets.AddFirst(node);
                return (TModel)node.Value.Set.Model;
            }

            var weighted = active.Select(a => new WeightedAdapter(a.Adapter, (float)a.Request.Weight)).ToList();
            var first = active[0].Request.Repo;
            while (_sets.Count >= MaxCached)
                EvictOldest(lease);
            var bytes = LoraSet.EstimateBytes(Graphs(), weighted);
            while (!lease.TryCharge(bytes))
            {
                if (_sets.Count == 0)
                    throw new LoraException($"Unable to load LoRas for adapter '{first}'.");
                EvictOldest(lease);
            }

            try
            {
                var set = LoraSet.Build(model, Graphs(), weighted, sessions, cancellationToken);
                _sets.AddFirst((key, set));
                return (TModel)set.Model;
            }
            catch (Exception e)
            {
                lease.Refund(bytes);
                throw e switch
                {
                    LoraMismatchException => Incompatible(),
                    OperationCanceledException => e,
                    SafetensorsFormatException or OnnxRuntimeException or Core.Errors.ModelLoadException or IOException => Unloadable(first),
                    _ => e,
                };
            }
        }
    }

    private void EvictOldest(ModelLease lease)
    {
        var (_, set) = _sets.Last!.Value;
        _sets.RemoveLast();
        set.Dispose();
        lease.Refund(set.Bytes);
    }

    /// <summary>The adapter in <paramref name="request"/>'s file, read against the base model's modules (kept for later requests).</summary>
    private LoraAdapter Adapter(RequestedLora request)
    {
        for (var node = _adapters.First; node is not null; node = node.Next)
        {
            if (node.Value.Path != request.FilePath)
                continue;
            _adapters.Remove(node);
            _adapters.AddFirst(node);
            return node.Value.Adapter;
        }

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
