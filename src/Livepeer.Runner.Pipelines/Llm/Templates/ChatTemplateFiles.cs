using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// Finds a model's chat template where transformers saves it (MODEL-FORMATS.md §8.3): the newer
/// <c>chat_template.jinja</c> first, then the older <c>tokenizer_config.json</c> key, which may hold one template or
/// a list of named ones. Special tokens come from <c>tokenizer_config.json</c> either way.
/// </summary>
internal static class ChatTemplateFiles
{
    public const string JinjaFile = "chat_template.jinja";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    // Token keys besides bos/eos that transformers passes to templates through special_tokens_map.
    private static readonly string[] OtherTokenKeys = ["unk_token", "pad_token", "sep_token", "cls_token", "mask_token"];

    public static ChatTemplate? Load(string folder, TimeProvider clock)
    {
        using var config = ReadConfig(Path.Combine(folder, TokenizerConfigFile));
        var root = config?.RootElement;
        var defaults = new ChatTemplateContext
        {
            BosToken = ModelFolderJson.TokenText(root, "bos_token"),
            EosToken = ModelFolderJson.TokenText(root, "eos_token"),
            OtherTokens = root is { } r3 ? OtherTokens(r3) : new Dictionary<string, string>(),
            Clock = clock,
        };

        var jinjaPath = Path.Combine(folder, JinjaFile);
        var source = File.Exists(jinjaPath) ? File.ReadAllText(jinjaPath) : root is { } r4 ? TemplateFromConfig(r4) : null;
        return source is null ? null : ChatTemplate.Parse(source, defaults);
    }

    private static JsonDocument? ReadConfig(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new ChatTemplateException($"{TokenizerConfigFile} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string? TemplateFromConfig(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("chat_template", out var template))
            return null;
        switch (template.ValueKind)
        {
            case JsonValueKind.String:
                return template.GetString();
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Array:
                // Named templates (e.g. "default", "tool_use", "rag"); a plain chat uses "default".
                foreach (var entry in template.EnumerateArray())
                {
                    if (entry.ValueKind == JsonValueKind.Object
                        && entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == "default"
                        && entry.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        return text.GetString();
                    }
                }

                throw new ChatTemplateException($"{TokenizerConfigFile} lists chat templates but none is named 'default'.");
            default:
                throw new ChatTemplateException($"{TokenizerConfigFile} has a chat_template that is neither a string nor a list.");
        }
    }

    private static Dictionary<string, string> OtherTokens(JsonElement root)
    {
        var tokens = new Dictionary<string, string>();
        foreach (var key in OtherTokenKeys)
        {
            if (ModelFolderJson.TokenText(root, key) is { } text)
                tokens[key] = text;
        }

        return tokens;
    }
}
