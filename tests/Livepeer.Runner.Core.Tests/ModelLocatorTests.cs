using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Core.Tests;

public sealed class ModelLocatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("models-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ModelEntry Entry(string id, string? path = null) => new("upscale", id, false, path);

    [Fact]
    public void HubCache_UsesTheSnapshotNamedByRefsMain()
    {
        var repo = Path.Combine(_root, "models--org--name");
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", "aaa"));
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", "bbb"));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "aaa\n");

        Assert.Equal(Path.Combine(repo, "snapshots", "aaa"), new ModelLocator(_root).Locate(Entry("org/name")));
    }

    [Fact]
    public void HubCache_WithoutRef_UsesTheNewestSnapshot()
    {
        var repo = Path.Combine(_root, "models--org--name", "snapshots");
        var old = Directory.CreateDirectory(Path.Combine(repo, "old"));
        var fresh = Directory.CreateDirectory(Path.Combine(repo, "new"));
        old.LastWriteTimeUtc = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        fresh.LastWriteTimeUtc = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        Assert.Equal(fresh.FullName, new ModelLocator(_root).Locate(Entry("org/name")));
    }

    [Fact]
    public void PlainFolder_IsFoundWhenThereIsNoCache()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "org", "name")).FullName;
        Assert.Equal(folder, new ModelLocator(_root).Locate(Entry("org/name")));
    }

    [Fact]
    public void ExplicitPath_WinsOverModelDir()
    {
        var file = Path.Combine(_root, "model.onnx");
        File.WriteAllBytes(file, [1]);
        Assert.Equal(file, new ModelLocator("/nonexistent").Locate(Entry("org/name", file)));
    }

    [Fact]
    public void MissingModel_SaysWhereItLooked()
    {
        var error = Assert.Throws<ModelLoadException>(() => new ModelLocator(_root).Locate(Entry("org/absent")));
        Assert.Contains("models--org--absent", error.Message);
        Assert.Contains(Path.Combine(_root, "org", "absent"), error.Message);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("org/../../outside")]
    [InlineData("/etc")]
    public void PathTricks_NeverLeaveModelDir(string id)
    {
        Directory.CreateDirectory(Path.Combine(_root, "..", "outside"));
        Assert.Throws<ModelLoadException>(() => new ModelLocator(Path.Combine(_root, "inner")).Locate(Entry(id)));
    }

    [Fact]
    public void HostileRefsMain_IsIgnored()
    {
        var repo = Path.Combine(_root, "models--org--name");
        var snapshot = Directory.CreateDirectory(Path.Combine(repo, "snapshots", "abc")).FullName;
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "../../../../etc");

        Assert.Equal(snapshot, new ModelLocator(_root).Locate(Entry("org/name")));
    }
}
