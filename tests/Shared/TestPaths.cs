namespace Livepeer.Runner.Testing;

/// <summary>Where the repository, its committed models and the shared real-data assets are.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared/assets beside the checkout (CI puts it there too).</summary>
    public static string Assets { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "assets"));

    public static string Models { get; } = Path.Combine(RepoRoot, "models");

    public static string Asset(params string[] parts) => Path.Combine([Assets, .. parts]);

    public static string Model(params string[] parts) => Path.Combine([Models, .. parts]);

    /// <summary>Copies every file under <paramref name="from"/> to the same place under <paramref name="to"/> (a test's own copy of a fixture).</summary>
    public static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Livepeer.Runner.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Livepeer.Runner.sln not found above " + AppContext.BaseDirectory);
    }
}
