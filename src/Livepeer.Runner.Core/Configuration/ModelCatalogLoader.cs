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

        int? capacity = null;
        if (element.TryGetProperty("capacity", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            capacity = c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) && n >= 1
                ? n
                : throw new RunnerConfigurationException($"{Describe(index, pipeline, modelId)}: 'capacity' must be a whole number of at least 1.");
        }

        return new ModelEntry(pipeline, modelId, warm, path, keepAlive, capacity);
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
