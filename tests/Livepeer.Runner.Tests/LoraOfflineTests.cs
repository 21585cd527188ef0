using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Livepeer.Runner.Tests.Models;

namespace Livepeer.Runner.Tests;

/// <summary>
/// RUNNER_LORA_DOWNLOADS=0: one adapter was pulled into MODEL_DIR beforehand (<c>models pull --include '*.safetensors'</c>);
/// the hub stand-in still serves the others, but the runner must not ask it for anything.
/// </summary>
public sealed class LoraOfflineRunner : HubLoraRunner
{
    public const string Cached = "tiny-lora/sd15-peft";
    public const string NotCached = "tiny-lora/sd15-kohya";

    private protected override async Task PrepareAsync(HubStandIn hub)
    {
        hub.Add(Cached, TestPaths.Model("tiny", "lora-sd15", "peft"));
        hub.Add(NotCached, TestPaths.Model("tiny", "lora-sd15", "kohya"));
        await PullAsync(hub, Cached);
        hub.Seen.Clear();
    }

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = LoraRunner.Sd15, warm = false, path = TestPaths.Model("tiny", "sd15") },
        new { pipeline = "text-to-image", model_id = LoraRunner.Merged("sd15", "1"), warm = false, path = LoraFiles.MergedFolder(TempFolder, "sd15", "1") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() => [.. base.Settings(), ("RUNNER_LORA_DOWNLOADS", "0")];
}

public sealed class LoraOfflineTests(LoraOfflineRunner runner) : IClassFixture<LoraOfflineRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent TextToImage(string modelId, string loras) => Requests.Json(
        $$"""{"prompt":"a photo of a cat","model_id":"{{modelId}}","height":48,"width":64,"num_inference_steps":3,"seed":11,"loras":{{JsonSerializer.Serialize(loras)}}}""");

    private Task<RgbImage> ImageAsync(HttpContent request) => LoraFiles.ImageAsync(_client, request);

    [Fact]
    public async Task CachedAdapter_Serves_WithoutAskingTheHub()
    {
        var withLora = await ImageAsync(TextToImage(LoraRunner.Sd15, $$"""{"{{LoraOfflineRunner.Cached}}": 1}"""));
        var merged = await ImageAsync(TextToImage(LoraRunner.Merged("sd15", "1"), ""));

        LoraFiles.AssertSame(merged, withLora);
        Assert.Empty(runner.Hub.Seen);
    }

    [Fact]
    public async Task AdapterNotInTheCache_IsRefused_WithoutAskingTheHub()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(LoraRunner.Sd15, $$"""{"{{LoraOfflineRunner.NotCached}}": 1}"""));

        Assert.Equal($"Unable to load LoRas for adapter '{LoraOfflineRunner.NotCached}'.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
        Assert.Empty(runner.Hub.Seen);
    }
}
