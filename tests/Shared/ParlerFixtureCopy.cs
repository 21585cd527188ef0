using System.Text.Json.Nodes;

namespace Livepeer.Runner.Testing;

/// <summary>
/// A copy of the tiny Parler-TTS fixture whose <c>generation_config.json</c> says a shorter <c>max_length</c>. The
/// fixture's random weights rarely sample eos, so most runs go on to <c>max_length</c> (2,580 columns, 30 s): a short
/// one keeps the tests on the same graphs and code paths in a fraction of the time. Made in a new temporary folder,
/// or in <c>parent</c> (whose owner deletes it); deleted on dispose.
/// </summary>
internal sealed class ParlerFixtureCopy : IDisposable
{
    public ParlerFixtureCopy(int maxLength, string? parent = null)
    {
        Folder = parent is null ? Directory.CreateTempSubdirectory("parler-").FullName : Directory.CreateDirectory(Path.Combine(parent, "parler-tts")).FullName;
        var source = TestPaths.Model("tiny", "parler-tts");
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
        var generation = Path.Combine(Folder, "generation_config.json");
        var json = JsonNode.Parse(File.ReadAllText(generation))!;
        json["max_length"] = maxLength;
        File.WriteAllText(generation, json.ToJsonString());
    }

    public string Folder { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
