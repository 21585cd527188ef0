using System.Text.Json;

namespace Livepeer.Runner.Pipelines;

/// <summary>Reads the JSON side files of a model folder (config.json, generation_config.json, tokenizer files).</summary>
internal static class ModelFolderJson
{
    /// <summary>The file's root element, or null when the model does not ship that file.</summary>
    public static JsonElement? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }
}
