using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Models;

/// <summary>The configured models, by pipeline; answers which model a request means.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, List<ModelEntry>> _byPipeline = new(StringComparer.Ordinal);

    public ModelCatalog(IEnumerable<ModelEntry> entries)
    {
        Entries = entries.ToList();
        foreach (var entry in Entries)
        {
            if (!_byPipeline.TryGetValue(entry.Pipeline, out var list))
                _byPipeline[entry.Pipeline] = list = [];
            list.Add(entry);
        }
    }

    /// <summary>All entries in configuration order.</summary>
    public IReadOnlyList<ModelEntry> Entries { get; }

    /// <summary>The first configured entry: what /version and /hardware report in ai-runner's one-model mode.</summary>
    public ModelEntry Primary => Entries[0];

    public IReadOnlyList<ModelEntry> ForPipeline(string pipeline) =>
        _byPipeline.TryGetValue(pipeline, out var list) ? list : [];

    public bool Serves(string pipeline) => _byPipeline.ContainsKey(pipeline);

    /// <summary>
    /// The model a request names: empty means the pipeline's first configured model; otherwise the id must equal a
    /// configured one exactly (ai-runner compares case-sensitively).
    /// </summary>
    public ModelEntry Resolve(string pipeline, string? requestedModelId)
    {
        var configured = ForPipeline(pipeline);
        if (string.IsNullOrEmpty(requestedModelId))
            return configured.Count > 0
                ? configured[0]
                : throw new ModelNotConfiguredException(pipeline, "", []);

        foreach (var entry in configured)
            if (string.Equals(entry.ModelId, requestedModelId, StringComparison.Ordinal))
                return entry;

        throw new ModelNotConfiguredException(pipeline, requestedModelId, configured.Select(e => e.ModelId).ToList());
    }
}
