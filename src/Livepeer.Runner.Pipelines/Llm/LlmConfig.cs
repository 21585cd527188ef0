using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>What a decoder model's config.json and generation_config.json say about generation.</summary>
public sealed record LlmConfig(int ContextLength, IReadOnlySet<int> EosIds, long KeyValueHeads, long HeadDim, int Vocabulary)
{
    public static LlmConfig FromModelFolder(string folder)
    {
        var config = ModelFolderJson.Read(Path.Combine(folder, "config.json"));
        var generation = ModelFolderJson.Read(Path.Combine(folder, "generation_config.json"));
        var eos = new HashSet<int>();
        AddIds(eos, generation, "eos_token_id");
        if (eos.Count == 0)
            AddIds(eos, config, "eos_token_id");

        var heads = Long(config, "num_attention_heads") ?? 1;
        var hidden = Long(config, "hidden_size") ?? 0;
        return new LlmConfig(
            ContextLength: (int)(Long(config, "max_position_embeddings") ?? Long(generation, "max_length") ?? 2048),
            EosIds: eos,
            KeyValueHeads: Long(config, "num_key_value_heads") ?? heads,
            HeadDim: Long(config, "head_dim") ?? (heads > 0 ? hidden / heads : 0),
            Vocabulary: (int)(Long(config, "vocab_size") ?? 0));
    }


    private static long? Long(JsonElement? json, string name) =>
        json?.TryGetProperty(name, out var value) == true && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    /// <summary>eos_token_id may be one id or a list (Llama-3.1: end_of_text, eom_id, eot_id).</summary>
    private static void AddIds(HashSet<int> ids, JsonElement? json, string name)
    {
        if (json?.TryGetProperty(name, out var value) != true)
            return;
        if (value.ValueKind == JsonValueKind.Number)
            ids.Add(value.GetInt32());
        else if (value.ValueKind == JsonValueKind.Array)
            ids.UnionWith(value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetInt32()));
    }
}
