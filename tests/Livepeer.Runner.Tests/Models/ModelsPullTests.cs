using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests.Models;

/// <summary><c>models pull</c> against the in-process hub stand-in, into a fresh MODEL_DIR per test.</summary>
public sealed class ModelsPullTests : IAsyncLifetime
{
    private const string Llama = "test-org/tiny-llama";
    private const string Sd15 = "test-org/tiny-sd15";
    private readonly string _cache = Directory.CreateTempSubdirectory("hub-cache-").FullName;
    private HubStandIn _hub = null!;
    private StandInRepo _llama = null!;
    private StandInRepo _sd15 = null!;

    public async ValueTask InitializeAsync()
    {
        _hub = await HubStandIn.StartAsync();
        _llama = _hub.Add(Llama, TestPaths.Model("tiny", "llm-llama"));
        _sd15 = _hub.Add(Sd15, TestPaths.Model("tiny", "sd15"));
        _hub.Add("test-org/gated-llama", TestPaths.Model("tiny", "llm-llama"), gated: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_cache, recursive: true);
    }

    private Dictionary<string, string> Env(bool offline = false, string? token = null)
    {
        var variables = new Dictionary<string, string> { ["HF_ENDPOINT"] = _hub.Endpoint.ToString(), ["MODEL_DIR"] = _cache };
        if (offline)
            variables["HF_HUB_OFFLINE"] = "1";
        if (token is not null)
            variables["HF_TOKEN"] = token;
        return variables;
    }

    private string RepoFolder(string repo) => Path.Combine(_cache, "models--" + repo.Replace("/", "--", StringComparison.Ordinal));

    [Fact]
    public async Task Pull_LaysOutBlobsSnapshotLinksAndRefAsHuggingfaceHubDoes()
    {
        var (exit, output, error) = await ModelsCli.RunAsync(Env(), "pull", Sd15);

        Assert.True(exit == 0, output + error);
        var folder = RepoFolder(Sd15);
        Assert.Equal(_sd15.Commit, File.ReadAllText(Path.Combine(folder, "refs", "main")));
        var snapshot = Path.Combine(folder, "snapshots", _sd15.Commit);
        var linked = Directory.EnumerateFileSystemEntries(snapshot, "*", SearchOption.AllDirectories)
            .Where(p => !Directory.Exists(p)).Select(p => Path.GetRelativePath(snapshot, p)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(_sd15.Files.Select(f => f.Path).Order(StringComparer.Ordinal), linked);
        foreach (var file in _sd15.Files)
        {
            var link = Path.Combine(snapshot, file.Path);
            var depth = file.Path.Count(c => c == '/');
            // Relative links, as huggingface_hub's _create_symlink makes them: ../../blobs/<etag> from the snapshot's top.
            Assert.Equal(string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + file.Etag, new FileInfo(link).LinkTarget);
            Assert.Equal(file.Content, File.ReadAllBytes(link));
        }

        Assert.Equal(64, _sd15.File("unet/model.onnx").Etag.Length); // LFS: named by sha256
        Assert.Equal(40, _sd15.File("unet/config.json").Etag.Length); // git: named by the blob sha1
        Assert.Equal(_sd15.Files.Select(f => f.Etag).Distinct().Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(Path.Combine(folder, "blobs")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains(_hub.Seen, r => r.PathAndQuery.Contains("cursor=", StringComparison.Ordinal)); // the tree came in pages
        // Identical files (the VAE encoder's and decoder's config.json) are one blob, fetched once.
        Assert.True(_sd15.Files.Count > _sd15.Files.Select(f => f.Etag).Distinct().Count(), "the fixture repo should hold two identical files");
        Assert.Equal(_sd15.Files.Select(f => f.Etag).Distinct().Count(), _hub.Seen.Count(r => r.PathAndQuery.Contains("/resolve/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Pull_AgainFetchesNothing()
    {
        Assert.Equal(0, (await ModelsCli.RunAsync(Env(), "pull", Llama)).Exit);
        var before = _hub.Seen.Count(r => r.PathAndQuery.Contains("/resolve/", StringComparison.Ordinal));

        var (exit, output, _) = await ModelsCli.RunAsync(Env(), "pull", Llama);

        Assert.Equal(0, exit);
        Assert.Equal(before, _hub.Seen.Count(r => r.PathAndQuery.Contains("/resolve/", StringComparison.Ordinal)));
        Assert.Contains("already in the cache", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_DroppedConnection_ResumesFromThePartialFileWithARangeRequest()
    {
        _hub.DropAfter["model.onnx"] = 1000;

        var (exit, output, error) = await ModelsCli.RunAsync(Env(), "pull", Llama);

        Assert.True(exit == 0, output + error);
        var model = _llama.File("model.onnx");
        Assert.True(_hub.Seen.Any(r => r.PathAndQuery == $"/cdn/{model.Sha256}" && r.Range == "bytes=1000-"), string.Join("\n", _hub.Seen) + output);
        Assert.Equal(model.Content, File.ReadAllBytes(Path.Combine(RepoFolder(Llama), "snapshots", _llama.Commit, "model.onnx")));
    }

    [Fact]
    public async Task Pull_InterruptedEarlier_ResumesTheIncompleteBlob()
    {
        var model = _llama.File("model.onnx");
        var blobs = Directory.CreateDirectory(Path.Combine(RepoFolder(Llama), "blobs")).FullName;
        File.WriteAllBytes(Path.Combine(blobs, model.Etag + ".incomplete"), model.Content[..500]); // what a Ctrl-C leaves

        var (exit, output, error) = await ModelsCli.RunAsync(Env(), "pull", Llama);

        Assert.True(exit == 0, output + error);
        Assert.Contains(_hub.Seen, r => r.PathAndQuery == $"/cdn/{model.Sha256}" && r.Range == "bytes=500-");
        Assert.Equal(model.Content, File.ReadAllBytes(Path.Combine(blobs, model.Etag)));
        Assert.Empty(Directory.EnumerateFiles(blobs, "*.incomplete"));
    }

    [Fact]
    public async Task Pull_CorruptedByte_IsDetectedAndNothingLandsInTheSnapshot()
    {
        _hub.Corrupt["model.onnx"] = true;

        var (exit, _, error) = await ModelsCli.RunAsync(Env(), "pull", Llama);

        Assert.Equal(1, exit);
        Assert.Contains("model.onnx of test-org/tiny-llama", error, StringComparison.Ordinal);
        Assert.Contains("corrupted (its sha256 is", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(RepoFolder(Llama), "snapshots")), "no snapshot, so the runner never sees a half model");
        Assert.False(File.Exists(Path.Combine(RepoFolder(Llama), "refs", "main")));
        var blobs = Path.Combine(RepoFolder(Llama), "blobs");
        Assert.DoesNotContain(Directory.EnumerateFiles(blobs), p => p.Contains(_llama.File("model.onnx").Etag, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pull_GatedRepoWithoutToken_NamesTheRepoAndWhatToAccept()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(Env(), "pull", "test-org/gated-llama");

        Assert.Equal(1, exit);
        Assert.Contains($"test-org/gated-llama is a gated repository: sign in at {_hub.Endpoint}test-org/gated-llama, accept its conditions, then set HF_TOKEN", error, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN is not set; 401", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_GatedRepoWithATokenNotGranted_Is403NamingTheRepo()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(Env(token: "hf_other"), "pull", "test-org/gated-llama");

        Assert.Equal(1, exit);
        Assert.Contains("test-org/gated-llama is a gated repository", error, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN was sent; 403", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_GatedRepoWithToken_SendsItToTheHubButNotToTheCdn()
    {
        var (exit, output, error) = await ModelsCli.RunAsync(Env(token: HubStandIn.GoodToken), "pull", "test-org/gated-llama");

        Assert.True(exit == 0, output + error);
        Assert.All(_hub.Seen.Where(r => !r.PathAndQuery.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.True(r.WithToken, r.PathAndQuery));
        Assert.All(_hub.Seen.Where(r => r.PathAndQuery.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.False(r.WithToken, r.PathAndQuery));
    }

    [Fact]
    public async Task Pull_FromAMirrorUnderAPathPrefix_KeepsThePrefix()
    {
        var variables = Env();
        variables["HF_ENDPOINT"] = new Uri(_hub.Endpoint, "mirror/hf").ToString();

        var (exit, _, error) = await ModelsCli.RunAsync(variables, "pull", Llama);

        Assert.Equal(1, exit); // the stand-in serves at its root, so the prefixed URL is not found: proof the prefix was kept
        Assert.Contains(_hub.Seen, r => r.PathAndQuery == "/mirror/hf/api/models/test-org/tiny-llama/revision/main");
        Assert.Contains("test-org/tiny-llama", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_UnknownRepo_SaysNotFoundAndWhenATokenHelps()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(Env(), "pull", "test-org/missing");

        Assert.Equal(1, exit);
        Assert.Contains($"Repository test-org/missing was not found on {_hub.Endpoint} (401); if it is private or gated, set HF_TOKEN", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_UnknownRevision_Is404NamingIt()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(Env(), "pull", Llama, "--revision", "v9");

        Assert.Equal(1, exit);
        Assert.Contains("revision 'v9' of test-org/tiny-llama: that revision does not exist in test-org/tiny-llama (404).", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_ByCommit_WritesNoRef()
    {
        var (exit, _, _) = await ModelsCli.RunAsync(Env(), "pull", Llama, "--revision", _llama.Commit);

        Assert.Equal(0, exit);
        Assert.True(Directory.Exists(Path.Combine(RepoFolder(Llama), "snapshots", _llama.Commit)));
        Assert.False(Directory.Exists(Path.Combine(RepoFolder(Llama), "refs")));
    }

    [Fact]
    public async Task Pull_Include_TakesOnlyTheMatchingFiles()
    {
        var (exit, _, _) = await ModelsCli.RunAsync(Env(), "pull", Sd15, "--include", "unet/*", "model_index.json");

        Assert.Equal(0, exit);
        var snapshot = Path.Combine(RepoFolder(Sd15), "snapshots", _sd15.Commit);
        var linked = Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(snapshot, p)).Order(StringComparer.Ordinal);
        Assert.Equal(_sd15.Files.Select(f => f.Path).Where(p => p.StartsWith("unet/", StringComparison.Ordinal) || p == "model_index.json").Order(StringComparer.Ordinal), linked);
    }

    [Fact]
    public async Task Pull_As_FilesTheExportUnderTheModelIdTheNetworkAsksFor()
    {
        var (exit, output, error) = await ModelsCli.RunAsync(Env(), "pull", Llama, "--as", "meta-llama/Meta-Llama-3.1-8B-Instruct");

        Assert.True(exit == 0, output + error);
        var folder = RepoFolder("meta-llama/Meta-Llama-3.1-8B-Instruct");
        Assert.Equal(_llama.Commit, File.ReadAllText(Path.Combine(folder, "refs", "main")));
        Assert.True(File.Exists(Path.Combine(folder, "snapshots", _llama.Commit, "model.onnx")));
        Assert.False(Directory.Exists(RepoFolder(Llama)));
    }

    [Fact]
    public async Task Pull_Offline_UsesOnlyTheCache()
    {
        Assert.Equal(0, (await ModelsCli.RunAsync(Env(), "pull", Llama)).Exit);
        var requests = _hub.Seen.Count;

        var (exit, output, _) = await ModelsCli.RunAsync(Env(offline: true), "pull", Llama);

        Assert.Equal(0, exit);
        Assert.Contains($"at {_llama.Commit}", output, StringComparison.Ordinal);
        Assert.Contains("(offline: from the cache)", output, StringComparison.Ordinal);
        Assert.Equal(requests, _hub.Seen.Count);
    }

    [Fact]
    public async Task Pull_OfflineWithoutTheModel_FailsNamingIt()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(Env(offline: true), "pull", Llama);

        Assert.Equal(1, exit);
        Assert.Contains("HF_HUB_OFFLINE is set and the cache has no 'main' of test-org/tiny-llama", error, StringComparison.Ordinal);
        Assert.Empty(_hub.Seen);
    }

    [Fact]
    public async Task Pull_Config_PullsEveryEntryWithoutAPath()
    {
        var config = Path.Combine(_cache, "aiModels.json");
        File.WriteAllText(config, $$"""
            [
              { "pipeline": "llm", "model_id": "{{Llama}}", "warm": true },
              { "pipeline": "text-to-image", "model_id": "{{Sd15}}" },
              { "pipeline": "upscale", "model_id": "local/x4", "path": "{{TestPaths.Model("esrgan-slim", "x4")}}" },
              { "pipeline": "text-to-speech", "model_id": "espeak-ng/en-us" }
            ]
            """);

        var (exit, output, error) = await ModelsCli.RunAsync(Env(), "pull", "--config", config);

        Assert.True(exit == 0, output + error);
        Assert.True(File.Exists(Path.Combine(RepoFolder(Llama), "refs", "main")));
        Assert.True(File.Exists(Path.Combine(RepoFolder(Sd15), "refs", "main")));
        Assert.Contains("local/x4: has its own path", output, StringComparison.Ordinal);
        Assert.Contains("espeak-ng/en-us: the espeak-ng engine needs no files", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_Config_TakesTheCatalogsExportForANetworkModelAndFilesItUnderItsId()
    {
        // models/catalog.json: UsefulSensors/moonshine-tiny's confirmed export is onnx-community/moonshine-tiny-ONNX.
        var export = _hub.Add("onnx-community/moonshine-tiny-ONNX", TestPaths.Model("tiny", "whisper-tiny"));
        var config = Path.Combine(_cache, "aiModels.json");
        File.WriteAllText(config, """[{ "pipeline": "audio-to-text", "model_id": "UsefulSensors/moonshine-tiny" }]""");

        var (exit, output, error) = await ModelsCli.RunAsync(Env(), "pull", "--config", config);

        Assert.True(exit == 0, output + error);
        Assert.Contains("UsefulSensors/moonshine-tiny: the catalog's export is onnx-community/moonshine-tiny-ONNX", output, StringComparison.Ordinal);
        Assert.Equal(export.Commit, File.ReadAllText(Path.Combine(RepoFolder("UsefulSensors/moonshine-tiny"), "refs", "main")));
    }

    [Fact]
    public async Task Pull_WithoutRepoOrConfig_IsAUsageError()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(Env(), "pull");

        Assert.NotEqual(0, exit);
        Assert.Contains("Give either a repository (org/name) or --config <file>.", error, StringComparison.Ordinal);
    }
}
