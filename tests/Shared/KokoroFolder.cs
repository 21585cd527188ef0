namespace Livepeer.Runner.Testing;

/// <summary>A throwaway copy of the Kokoro fixture, to add voices to or break.</summary>
internal sealed class KokoroFolder : IDisposable
{
    private KokoroFolder(string path) => Path = path;

    public string Path { get; }

    public static KokoroFolder CopyOfFixture()
    {
        var target = Directory.CreateTempSubdirectory("kokoro-").FullName;
        var source = TestPaths.Model("tiny", "kokoro");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return new KokoroFolder(target);
    }

    /// <summary>A second voice: af_heart's rows in reverse order, so every token count gets another style.</summary>
    public void AddReversedVoice(string name)
    {
        var rows = File.ReadAllBytes(System.IO.Path.Combine(Path, "voices", "af_heart.bin")).Chunk(256 * sizeof(float)).Reverse();
        File.WriteAllBytes(System.IO.Path.Combine(Path, "voices", name + ".bin"), [.. rows.SelectMany(row => row)]);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
