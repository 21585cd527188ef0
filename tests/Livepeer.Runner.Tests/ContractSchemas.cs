using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Livepeer.Runner.Testing;
using YamlDotNet.RepresentationModel;

namespace Livepeer.Runner.Tests;

/// <summary>
/// Strict validation of reply bodies against ai-runner.openapi.yaml's component schemas (JSON Schema 2020-12, as
/// OpenAPI 3.1 defines them). Strict: an object schema allows no property it does not list, and a null is only valid
/// where the schema says so (so a null where an object belongs fails).
/// </summary>
internal static class ContractSchemas
{
    private static readonly Lazy<JsonObject> Definitions = new(Load);
    private static readonly ConcurrentDictionary<string, Lazy<JsonSchema>> Compiled = new();

    public static string OpenApiPath { get; } = Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, "..", "shared", "reference", "ai-runner.openapi.yaml"));

    /// <summary>Every problem of <paramref name="body"/> against the schema <paramref name="name"/> (e.g. <c>ImageResponse</c>); empty when valid.</summary>
    public static IReadOnlyList<string> Problems(string name, JsonElement body)
    {
        var schema = Compiled.GetOrAdd(name, key => new Lazy<JsonSchema>(() => Compile(key))).Value;
        var results = schema.Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        var problems = new List<string>();
        Collect(results, problems);
        return results.IsValid ? [] : problems.DefaultIfEmpty("invalid").ToList();
    }

    /// <summary>The errors of failing nodes only: a failed branch under a passing anyOf is not a problem.</summary>
    private static void Collect(EvaluationResults node, List<string> problems)
    {
        if (node.IsValid)
            return;
        foreach (var (keyword, message) in node.Errors ?? new Dictionary<string, string>())
            problems.Add($"{node.InstanceLocation}: {keyword}: {message}");
        foreach (var child in node.Details ?? [])
            Collect(child, problems);
    }

    /// <summary>Asserts that <paramref name="body"/> validates strictly against the schema <paramref name="name"/>.</summary>
    public static void AssertValid(string name, JsonElement body)
    {
        var problems = Problems(name, body);
        Assert.True(problems.Count == 0, $"the body does not validate against {name}: {string.Join("; ", problems)}\n{body.GetRawText()[..Math.Min(600, body.GetRawText().Length)]}");
    }

    private static JsonSchema Compile(string name)
    {
        if (!Definitions.Value.ContainsKey(name))
            throw new ArgumentException($"ai-runner.openapi.yaml has no schema '{name}'.", nameof(name));
        var document = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://ai-runner.test/schemas/{name}",
            ["$ref"] = $"#/$defs/{name}",
            ["$defs"] = Definitions.Value.DeepClone(),
        };
        return JsonSchema.FromText(document.ToJsonString());
    }

    private static JsonObject Load()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(OpenApiPath))
            yaml.Load(reader);
        var root = (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
        var schemas = root["components"]!["schemas"]!.AsObject();
        var definitions = new JsonObject();
        foreach (var (name, schema) in schemas)
            definitions[name] = Strict(schema!.DeepClone());
        return definitions;
    }

    /// <summary>Components' refs point into $defs, and every object schema with listed properties forbids others.</summary>
    private static JsonNode Strict(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (obj[key] is { } child)
                        obj[key] = Strict(child.DeepClone());
                }

                if (obj["$ref"] is JsonValue reference && reference.GetValue<string>() is { } target)
                    obj["$ref"] = target.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
                // ValidationError is exempt: FastAPI with pydantic 2 (ai-runner itself) adds "input" and "ctx" to each item.
                if (obj["properties"] is JsonObject && !obj.ContainsKey("additionalProperties") && obj["title"]?.ToString() != "ValidationError")
                    obj["additionalProperties"] = false;
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                        array[i] = Strict(item.DeepClone());
                }

                return array;
            default:
                return node;
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
            return JsonValue.Create(text);
        return text switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            "null" or "~" or "" => null,
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ => JsonValue.Create(text),
        };
    }
}
