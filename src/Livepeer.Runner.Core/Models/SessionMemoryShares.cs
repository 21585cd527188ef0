namespace Livepeer.Runner.Core.Models;

/// <summary>
/// How a model's ledger entry is split among the arenas of its sessions (a diffusion model opens up to six): each
/// graph gets the share its file and external data take of the model's weight bytes, so the per-session limits add
/// up to the entry instead of each session being allowed all of it.
/// </summary>
public sealed class SessionMemoryShares
{
    private readonly Dictionary<string, long> _bytesByGraph;
    private readonly long _totalBytes;

    private SessionMemoryShares(Dictionary<string, long> bytesByGraph)
    {
        _bytesByGraph = bytesByGraph;
        _totalBytes = bytesByGraph.Values.Sum();
    }

    /// <summary>The graphs found, by full path.</summary>
    public IReadOnlyCollection<string> Graphs => _bytesByGraph.Keys;

    /// <summary>The graphs of a model folder, or the one .onnx file, with their external data.</summary>
    public static SessionMemoryShares Of(string location)
    {
        var graphs = File.Exists(location) ? [Path.GetFullPath(location)]
            : Directory.Exists(location) ? Directory.EnumerateFiles(location, "*.onnx", SearchOption.AllDirectories).Select(Path.GetFullPath).ToList()
            : new List<string>();
        return new SessionMemoryShares(graphs.ToDictionary(g => g, ModelFootprint.GraphBytes, StringComparer.Ordinal));
    }

    /// <summary>
    /// The arena limit of the session for <paramref name="onnxPath"/> out of <paramref name="modelLimitBytes"/>. A graph
    /// the plan does not know (none should exist) gets an even share, so one stray session cannot take everything.
    /// </summary>
    public long LimitFor(string onnxPath, long modelLimitBytes)
    {
        if (_totalBytes <= 0 || !_bytesByGraph.TryGetValue(Path.GetFullPath(onnxPath), out var bytes))
            return modelLimitBytes / Math.Max(1, _bytesByGraph.Count);
        return (long)((Int128)modelLimitBytes * bytes / _totalBytes);
    }
}
