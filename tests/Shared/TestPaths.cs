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
