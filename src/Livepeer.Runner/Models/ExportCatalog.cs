using System.Text.Json;

namespace Livepeer.Runner.Models;

/// <summary>A published ONNX export of a network model, from models/catalog.json.</summary>
internal sealed record CatalogExport(string ModelId, string Repo, string? Dtype, IReadOnlyList<string> Includes);

/// <summary>
/// models/catalog.json, built into the executable: for a config entry whose model id has a confirmed export in another
/// repository, <c>models pull --config</c> pulls that export and files it under the entry's id.
/// </summary>
internal static class ExportCatalog
{
    private static readonly Lazy<IReadOnlyDictionary<string, CatalogExport>> Exports = new(Load);

    public static CatalogExport? For(string modelId) => Exports.Value.GetValueOrDefault(modelId);

    private static Dictionary<string, CatalogExport> Load()
    {
        using var stream = typeof(ExportCatalog).Assembly.GetManifestResourceStream("catalog.json")
            ?? throw new InvalidOperationException("catalog.json is not built into this executable.");
        using var document = JsonDocument.Parse(stream);
        var exports = new Dictionary<string, CatalogExport>(StringComparer.Ordinal);
        foreach (var model in document.RootElement.GetProperty("models").EnumerateArray())
        {
            if (model.GetProperty("confirmed").ValueKind != JsonValueKind.True || model.GetProperty("onnx") is not { ValueKind: JsonValueKind.Object } onnx)
                continue;
            var id = model.GetProperty("model_id").GetString()!;
            var dtype = onnx.TryGetProperty("dtype", out var d) ? d.GetString() : null;
            IReadOnlyList<string> includes = onnx.TryGetProperty("include", out var i) ? [.. i.EnumerateArray().Select(e => e.GetString()!)] : [];
            exports[id] = new CatalogExport(id, onnx.GetProperty("repo").GetString()!, dtype, includes);
        }

        return exports;
    }
}
