using System.Net;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Tests.Models;

/// <summary>A tiny LLM folder without its tokenizer, served lazily, its logs captured.</summary>
public sealed class BrokenModelRunner : ConfiguredRunner, IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("broken-llm-").FullName;

    public CategoryLogCapture Logs { get; } = new();

    protected override IEnumerable<object> Models()
    {
        var source = TestPaths.Model("tiny", "llm-llama");
        foreach (var file in Directory.EnumerateFiles(source).Where(f => Path.GetFileName(f) != "tokenizer.json"))
            File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
        return [new { pipeline = "llm", model_id = "test/broken-llama", warm = false, path = Folder }];
    }

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class LoadFailureReportTests(BrokenModelRunner runner) : IClassFixture<BrokenModelRunner>
{
    [Fact]
    public async Task AModelThatFailsToLoad_IsLoggedWithTheModelsCheckReport()
    {
        using var client = runner.Host.CreateClient();

        using var response = await client.PostAsync("/llm", Requests.Json("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var report = Assert.Single(runner.Logs.Entries, e => e.Category.EndsWith("PipelineModelLoader", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, report.Level);
        Assert.StartsWith($"Model test/broken-llama failed to load; its folder checks as:\n{runner.Folder} (decoder-only LLM)", report.Message, StringComparison.Ordinal);
        Assert.Contains("PROBLEM tokenizer.json | tokenizer.model  missing (the tokenizer)", report.Message, StringComparison.Ordinal);
        Assert.Contains("ok      model.onnx  decoder:", report.Message, StringComparison.Ordinal);
    }
}
