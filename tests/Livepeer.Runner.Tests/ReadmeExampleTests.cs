using System.Net;

namespace Livepeer.Runner.Tests;

/// <summary>Every request example of README.md, sent to the default configuration (models/aiModels.json) on the CPU.</summary>
public sealed class ReadmeExampleTests(DefaultConfigurationRunner runner) : IClassFixture<DefaultConfigurationRunner>
{
    public static TheoryData<string> Examples() => new(ReadmeExamples.InReadme());

    [Fact]
    public void ReadmeCurlExamples_AreTheExamplesScriptsCommands() =>
        Assert.Equal(Curl(ReadmeExamples.InReadme()), Curl(ReadmeExamples.InScript()));

    // The script prints the docs URL instead of opening a browser.
    private static IEnumerable<string> Curl(IEnumerable<string> commands) =>
        commands.Where(c => c.StartsWith("curl ", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    [Fact]
    public void ReadmeExamples_CoverEveryServedPipeline()
    {
        string[] routes = ["/health", "/upscale", "/text-to-image", "/llm", "/v1/chat/completions", "/text-to-speech", "/image-to-text", "/image-to-video", "/segment-anything-2", "/docs"];

        var paths = ReadmeExamples.InReadme().Select(c => ReadmeExamples.ToRequest(c).RequestUri!.OriginalString).ToHashSet();

        Assert.Equal(routes, routes.Where(paths.Contains));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task ReadmeExample_OnTheDefaultConfiguration_AnswersOk(string command)
    {
        using var client = runner.Host.CreateClient();
        using var request = ReadmeExamples.ToRequest(command);

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{command}\n→ {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
    }
}

/// <summary>The default configuration's LLM is the real stories260K, committed unchanged from ../shared/assets.</summary>
public sealed class DefaultLlmTests(DefaultConfigurationRunner runner) : IClassFixture<DefaultConfigurationRunner>
{
    [Fact]
    public async Task DefaultConfiguration_LlmWithoutModel_ContinuesTheStoryWithStories260K()
    {
        using var client = runner.Host.CreateClient();
        var expected = File.ReadAllText(Livepeer.Runner.Testing.TestPaths.Asset("llm", "stories260K", "expected.txt"));

        using var response = await client.PostAsync("/llm", Requests.Json("""{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":20,"temperature":0}"""));

        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("karpathy/stories260K", json.GetProperty("model").GetString());
        var text = json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.NotEmpty(text);
        Assert.StartsWith("Once upon a time" + text, expected, StringComparison.Ordinal); // llama2.c's greedy golden text
    }

    [Fact]
    public void CommittedStories260K_IsTheSharedAssetByteForByte()
    {
        var committed = Livepeer.Runner.Testing.TestPaths.Model("stories260K");
        var files = File.ReadLines(Path.Combine(committed, "SHA256SUMS")).Select(l => l.Split("  ")).ToList();

        Assert.Contains(files, f => f[1] == "model.onnx");
        foreach (var sum in files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(committed, sum[1]));
            Assert.Equal(sum[0], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
            Assert.Equal(File.ReadAllBytes(Livepeer.Runner.Testing.TestPaths.Asset("llm", "stories260K", sum[1])), bytes);
        }
    }
}
