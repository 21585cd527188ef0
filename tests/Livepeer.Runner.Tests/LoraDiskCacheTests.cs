using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Livepeer.Runner.Tests.Models;

namespace Livepeer.Runner.Tests;

/// <summary>
/// RUNNER_LORA_CACHE_BYTES just under three of the fixture LoRAs: downloading a third deletes the least recently used
/// download. One repository was pulled with <c>models pull</c> beforehand and is never deleted.
/// </summary>
public sealed class LoraDiskCacheRunner : HubLoraRunner
{
    public const string Pulled = "tiny-lora/pulled";

    private static long Size(string naming) =>
        new DirectoryInfo(TestPaths.Model("tiny", "lora-sd15", naming)).EnumerateFiles().Sum(f => f.Length);

    private protected override async Task PrepareAsync(HubStandIn hub)
    {
        hub.Add("tiny-lora/a", TestPaths.Model("tiny", "lora-sd15", "peft"));
        hub.Add("tiny-lora/b", TestPaths.Model("tiny", "lora-sd15", "kohya"));
        hub.Add("tiny-lora/c", TestPaths.Model("tiny", "lora-sd15", "peft"));
        hub.Add(Pulled, TestPaths.Model("tiny", "lora-sd15", "kohya"));
        await PullAsync(hub, Pulled);
    }

    protected override IEnumerable<object> Models() =>
        [new { pipeline = "text-to-image", model_id = LoraRunner.Sd15, warm = false, path = TestPaths.Model("tiny", "sd15") }];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
        [.. base.Settings(), ("RUNNER_LORA_CACHE_BYTES", ((2 * Size("peft")) + Size("kohya") - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

public sealed class LoraDiskCacheTests(LoraDiskCacheRunner runner) : IClassFixture<LoraDiskCacheRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private Task<RgbImage> ImageAsync(string repo) => LoraFiles.ImageAsync(_client, Requests.Json(
        $$"""{"prompt":"a photo of a cat","model_id":"{{LoraRunner.Sd15}}","height":48,"width":64,"num_inference_steps":2,"seed":5,"loras":{{JsonSerializer.Serialize($$"""{"{{repo}}": 1}""")}}}"""));

    private bool InCache(string repo) => Directory.Exists(Path.Combine(runner.ModelDir, $"models--{repo.Replace("/", "--", StringComparison.Ordinal)}"));

    private int Downloads(string repo) => runner.Hub.Seen.Count(r => r.PathAndQuery.StartsWith($"/{repo}/resolve/", StringComparison.Ordinal));

    [Fact]
    public async Task DownloadsPastTheBound_DeleteTheLeastRecentlyUsed_AndADeletedOneIsDownloadedAgain()
    {
        await ImageAsync(LoraDiskCacheRunner.Pulled);
        var first = await ImageAsync("tiny-lora/a");
        await ImageAsync("tiny-lora/b");
        Assert.True(InCache("tiny-lora/a") && InCache("tiny-lora/b"));

        await ImageAsync("tiny-lora/c"); // a + b + c is one byte over: a, the least recently used, goes

        Assert.False(InCache("tiny-lora/a"));
        Assert.True(InCache("tiny-lora/b") && InCache("tiny-lora/c") && InCache(LoraDiskCacheRunner.Pulled));

        var again = await ImageAsync("tiny-lora/a"); // downloaded again; now b is the oldest download

        Assert.Equal(first.Pixels, again.Pixels);
        Assert.Equal(2, Downloads("tiny-lora/a"));
        Assert.False(InCache("tiny-lora/b"));
        Assert.True(InCache("tiny-lora/a") && InCache("tiny-lora/c") && InCache(LoraDiskCacheRunner.Pulled));
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(runner.ModelDir, "lora-downloads.json")));
        Assert.Equal(["tiny-lora/a", "tiny-lora/c"], index.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }
}
