using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Configuration;

/// <summary>
/// Turns the settings into the list of configured models: ai-runner's PIPELINE + MODEL_ID, or a MODELS_CONFIG
/// file in go-livepeer's aiModels.json shape. Every mistake fails startup with a message that names the entry.
/// </summary>
public static class ModelCatalogLoader
{
    public static IReadOnlyList<ModelEntry> Load(RunnerSettings settings)
    {
        var single = settings.Pipeline is not null || settings.ModelId is not null;
        if (settings.ModelsConfigPath is { } path)
        {
            if (single)
                throw new RunnerConfigurationException(
                    "Set either MODELS_CONFIG or PIPELINE and MODEL_ID, not both.");
            return LoadFile(path);
        }

        if (settings.Pipeline is null || settings.ModelId is null)
            throw new RunnerConfigurationException(
                "Pipeline must be provided or set through the PIPELINE and MODEL_ID environment variables " +
                "(or list models in a MODELS_CONFIG file; see README).");

        var entry = new ModelEntry(settings.Pipeline, settings.ModelId, Warm: true);
        Validate(entry, "PIPELINE/MODEL_ID");
        return [entry];
    }

    public static IReadOnlyList<ModelEntry> LoadFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new RunnerConfigurationException($"MODELS_CONFIG file '{fullPath}' does not exist.");

        using var document = ParseJson(fullPath);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new RunnerConfigurationException(
                $"MODELS_CONFIG '{fullPath}' must hold a JSON array of model entries (go-livepeer's aiModels.json shape).");

        var baseDir = Path.GetDirectoryName(fullPath)!;
        var entries = new List<ModelEntry>();
        var index = 0;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            index++;
            var entry = ReadEntry(element, index, baseDir);
            var name = Describe(index, entry.Pipeline, entry.ModelId);
            Validate(entry, name);
            if (entries.Any(e => e.Pipeline == entry.Pipeline && e.ModelId == entry.ModelId))
                throw new RunnerConfigurationException($"{name} is listed twice.");
            entries.Add(entry);
        }

        if (entries.Count == 0)
            throw new RunnerConfigurationException($"MODELS_CONFIG '{fullPath}' lists no models.");
        return entries;
    }

    private static JsonDocument ParseJson(string fullPath)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(fullPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new RunnerConfigurationException($"MODELS_CONFIG '{fullPath}' is not valid JSON: {e.Message}", e);
        }
    }

    private static ModelEntry ReadEntry(JsonElement element, int index, string baseDir)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new RunnerConfigurationException($"MODELS_CONFIG entry #{index} must be a JSON object.");

        var pipeline = ReadString(element, "pipeline", index) ?? "";
        var modelId = ReadString(element, "model_id", index) ?? "";
        var warm = element.TryGetProperty("warm", out var w) && w.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw new RunnerConfigurationException($"{Describe(index, pipeline, modelId)}: 'warm' must be true or false."),
        };
        var path = ReadString(element, "path", index) is { Length: > 0 } p ? Path.GetFullPath(p, baseDir) : null;
        TimeSpan? keepAlive = null;
        if (element.TryGetProperty("keep_alive", out var k) && k.ValueKind != JsonValueKind.Null)
        {
            keepAlive = k.ValueKind == JsonValueKind.Number && k.TryGetDouble(out var seconds) && Math.Abs(seconds) < 1e9
                ? TimeSpan.FromSeconds(seconds)
                : throw new RunnerConfigurationException($"{Describe(index, pipeline, modelId)}: 'keep_alive' must be a number of seconds (0: unload when idle, negative: never).");
        }

        return new ModelEntry(pipeline, modelId, warm, path, keepAlive, ReadCapacity(element, index, pipeline, modelId), ReadPrice(element, index, pipeline, modelId));
    }

    /// <summary>go-livepeer's aiModels.json <c>capacity</c>: a whole number of at least 1, or absent (null).</summary>
    private static int? ReadCapacity(JsonElement element, int index, string pipeline, string modelId)
    {
        if (!element.TryGetProperty("capacity", out var c) || c.ValueKind == JsonValueKind.Null)
            return null;
        return c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var capacity) && capacity >= 1
            ? capacity
            : throw new RunnerConfigurationException($"{Describe(index, pipeline, modelId)}: 'capacity' must be a whole number of at least 1.");
    }

    /// <summary>The Live Runner's <c>price_info</c>: <c>{"price": positive USD, "currency": "usd", "unit": "hour" | "720p" | "fixed"}</c>.</summary>
    private static LivePrice? ReadPrice(JsonElement element, int index, string pipeline, string modelId)
    {
        if (!element.TryGetProperty("price_info", out var p) || p.ValueKind == JsonValueKind.Null)
            return null;
        var name = Describe(index, pipeline, modelId);
        if (p.ValueKind != JsonValueKind.Object)
            throw new RunnerConfigurationException($"{name}: 'price_info' must be an object {{\"price\", \"currency\", \"unit\"}}.");
        if (!p.TryGetProperty("price", out var price) || price.ValueKind != JsonValueKind.Number || !price.TryGetDecimal(out var usd) || usd <= 0)
            throw new RunnerConfigurationException($"{name}: 'price_info.price' must be a positive number of US dollars.");
        var currency = p.TryGetProperty("currency", out var cur) && cur.ValueKind != JsonValueKind.Null ? cur.ToString().Trim().ToLowerInvariant() : "usd";
        if (cur.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.String) || currency != "usd")
            throw new RunnerConfigurationException($"{name}: 'price_info.currency' must be \"usd\".");
        var unit = p.TryGetProperty("unit", out var u) && u.ValueKind != JsonValueKind.Null ? u.ToString().Trim().ToLowerInvariant() : "hour";
        if (u.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.String) || !LivePrice.Units.Contains(unit))
            throw new RunnerConfigurationException($"{name}: 'price_info.unit' must be one of {string.Join(", ", LivePrice.Units)}.");
        return new LivePrice(usd, unit);
    }

    private static string? ReadString(JsonElement element, string name, int index)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new RunnerConfigurationException($"MODELS_CONFIG entry #{index}: '{name}' must be a string.");
        return value.GetString();
    }

    private static void Validate(ModelEntry entry, string name)
    {
        if (entry.Pipeline.Length == 0)
            throw new RunnerConfigurationException($"{name}: 'pipeline' is missing.");
        if (PipelineNames.Unsupported.Contains(entry.Pipeline))
            throw new RunnerConfigurationException($"{name}: pipeline '{entry.Pipeline}' is not served by this batch runner.");
        if (!PipelineNames.IsBatch(entry.Pipeline))
            throw new RunnerConfigurationException(
                $"{name}: '{entry.Pipeline}' is not a valid pipeline; expected one of {string.Join(", ", PipelineNames.Batch)}.");
        if (entry.ModelId.Length == 0)
            throw new RunnerConfigurationException($"{name}: 'model_id' is missing.");
        if (!ModelIdRules.IsSafe(entry.ModelId))
            throw new RunnerConfigurationException(
                $"{name}: model_id '{entry.ModelId}' is not a valid model id (expected 'org/name' of letters, digits, '.', '_' and '-').");
        if (entry.Path is { } path && !File.Exists(path) && !Directory.Exists(path))
            throw new RunnerConfigurationException($"{name}: path '{path}' does not exist.");
    }

    private static string Describe(int index, string pipeline, string modelId) =>
        $"MODELS_CONFIG entry #{index} (pipeline '{pipeline}', model_id '{modelId}')";
}
