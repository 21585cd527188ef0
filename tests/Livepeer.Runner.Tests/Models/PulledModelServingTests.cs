using System.Net;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests.Models;

/// <summary>The operator's path end to end: pull a model from the hub (stand-in), then serve it from MODEL_DIR with no 'path'.</summary>
public sealed class PulledModelServingTests
{
    [Fact]
    public async Task PulledTinyLlama_IsServedFromTheCacheByModelId()
    {
        var cache = Directory.CreateTempSubdirectory("hub-cache-").FullName;
        try
        {
            await using (var hub = await HubStandIn.StartAsync())
            {
                hub.Add("test-org/tiny-llama", TestPaths.Model("tiny", "llm-llama"));
                var pulled = await ModelsCli.RunAsync(new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.ToString(), ["MODEL_DIR"] = cache }, "pull", "test-org/tiny-llama");
                Assert.True(pulled.Exit == 0, pulled.Output + pulled.Error);
            }

            var check = await ModelsCli.RunAsync(new Dictionary<string, string> { ["MODEL_DIR"] = cache }, "check", "test-org/tiny-llama");
            Assert.True(check.Exit == 0, check.Output + check.Error);
            Assert.Contains("/snapshots/", check.Output.Split('\n')[0], StringComparison.Ordinal);

            var config = Path.Combine(cache, "aiModels.json");
            await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new[] { new { pipeline = "llm", model_id = "test-org/tiny-llama", warm = true } }));
            await using var runner = await RunnerHost.StartAsync(new Dictionary<string, string>
            {
                ["MODELS_CONFIG"] = config, ["MODEL_DIR"] = cache, ["RUNNER_EXECUTION_PROVIDER"] = "cpu",
            });
            using var client = runner.CreateClient();

            using var response = await client.PostAsync("/llm", Requests.Json("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"temperature":0}"""));

            var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "LLMResponse");
            Assert.Equal("test-org/tiny-llama", json.GetProperty("model").GetString());
            Assert.InRange(json.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 4);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
