using System.Text.Json;
using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Models;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests.Models;

/// <summary>models/catalog.json: every entry is usable as written (a hub id, a known pipeline, a way to get the files, a source).</summary>
public sealed class ModelCatalogFileTests
{
    private static readonly JsonElement[] Entries = Load();

    private static readonly string[] Pipelines =
    [
        PipelineNames.TextToImage, PipelineNames.ImageToImage, PipelineNames.ImageToVideo, PipelineNames.Upscale, PipelineNames.AudioToText,
        PipelineNames.SegmentAnything2, PipelineNames.Llm, PipelineNames.ImageToText, PipelineNames.TextToSpeech,
    ];

    private static JsonElement[] Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(TestPaths.Model("catalog.json")));
        return [.. document.RootElement.GetProperty("models").EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public void EveryEntry_NamesAHubIdAPipelineASourceAndAWayToGetItsFiles()
    {
        Assert.Equal(18, Entries.Length);
        foreach (var entry in Entries)
        {
            var id = entry.GetProperty("model_id").GetString()!;
            Assert.True(ModelIdRules.IsSafe(id), id);
            Assert.Contains(entry.GetProperty("pipeline").GetString(), Pipelines);
            Assert.False(string.IsNullOrWhiteSpace(entry.GetProperty("source").GetString()), id);
            Assert.True(entry.GetProperty("confirmed").ValueKind is JsonValueKind.True or JsonValueKind.False, id);
            var onnx = entry.GetProperty("onnx");
            var hasExport = entry.GetProperty("export").ValueKind == JsonValueKind.String;
            Assert.True(onnx.ValueKind == JsonValueKind.Object || hasExport || entry.GetProperty("serves").GetString()!.StartsWith("no", StringComparison.Ordinal)
                        || entry.GetProperty("source").GetString()!.Contains("not possible", StringComparison.Ordinal), id);
        }
    }

    [Fact]
    public void EveryPullCommand_ParsesAsAModelsPull()
    {
        foreach (var onnx in Entries.Select(e => e.GetProperty("onnx")).Where(o => o.ValueKind == JsonValueKind.Object))
        {
            var pull = onnx.GetProperty("pull").GetString()!;
            var repo = onnx.GetProperty("repo").GetString()!;
            Assert.StartsWith($"models pull {repo}", pull, StringComparison.Ordinal);
            Assert.True(ModelIdRules.IsSafe(repo), repo);
            foreach (var dtype in pull.Split(' ').SkipWhile(a => a != "--dtype").Skip(1).Take(1))
                Assert.True(FileSelection.DtypeSuffixes.ContainsKey(dtype), pull);
        }
    }
}
