using System.Text.Json;

namespace Livepeer.Runner.Pipelines;

/// <summary>Reads the JSON side files of a model folder (config.json, generation_config.json, tokenizer files).</summary>
internal static class ModelFolderJson
{
    /// <summary>
    /// The failures of reading a model folder's side files that mean "these files are unusable" (missing or unreadable,
    /// bad JSON, a field absent or of the wrong kind): a loader turns them into a <c>ModelLoadException</c> naming the folder.
    /// </summary>
    public static bool IsUnreadable(Exception e) =>
        e is IOException or JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException;

    /// <summary>The file's root element, or null when the model does not ship that file.</summary>
    public static JsonElement? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    /// <summary>
    /// A special-token setting (<c>bos_token</c>, <c>eos_token</c>, …): a string, or an AddedToken object whose
    /// <c>content</c> is the string. Null when the file lacks it.
    /// </summary>
    public static string? TokenText(JsonElement? config, string name)
    {
        if (config is not { ValueKind: JsonValueKind.Object } json || !json.TryGetProperty(name, out var token))
            return null;
        return token.ValueKind switch
        {
            JsonValueKind.String => token.GetString(),
            JsonValueKind.Object when token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
            _ => null,
        };
    }
}
