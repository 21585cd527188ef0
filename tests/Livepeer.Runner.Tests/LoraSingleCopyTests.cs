using System.Text.Json;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Livepeer.Runner.Tests.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests;

/// <summary>RUNNER_LORA_SINGLE_COPY=1: the tiny sd15 fixture, its LoRAs on the hub stand-in, and the torch-merged reference.</summary>
public sealed class LoraSingleCopyRunner : HubLoraRunner
{
    private protected override Task PrepareAsync(HubStandIn hub)
    {
        hub.Add("tiny-lora/sd15-peft", TestPaths.Model("tiny", "lora-sd15", "peft"));
        hub.Add("tiny-lora/sd15-kohya", TestPaths.Model("tiny", "lora-sd15", "kohya"));
        hub.Add("tiny-lora/sd15-more", WriteFolder("more", ("pytorch_lora_weights.safetensors", LoraFiles.MoreAdapter())));
        hub.Add("tiny-lora/flux-schnell-peft", TestPaths.Model("tiny", "lora-flux-schnell", "peft"));
        return Task.CompletedTask;
    }

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = LoraRunner.Sd15, warm = false, path = TestPaths.Model("tiny", "sd15") },
        new { pipeline = "text-to-image", model_id = LoraRunner.Merged("sd15", "1"), warm = false, path = LoraFiles.MergedFolder(TempFolder, "sd15", "1") },
        new { pipeline = "text-to-image", model_id = TransformerLoraRunner.Flux, warm = false, path = TestPaths.Model("tiny", "flux-schnell") },
        new { pipeline = "text-to-image", model_id = TransformerLoraRunner.Merged("flux-schnell", "1"), warm = false, path = LoraFiles.MergedFolder(TempFolder, "flux-schnell", "1") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() => [.. base.Settings(), ("RUNNER_LORA_SINGLE_COPY", "1")];
}

public sealed class LoraSingleCopyTests(LoraSingleCopyRunner runner) : IClassFixture<LoraSingleCopyRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private Task<RgbImage> ImageAsync(string modelId, string loras) => LoraFiles.ImageAsync(_client, Requests.Json(
        $$"""{"prompt":"a photo of a cat","model_id":"{{modelId}}","height":48,"width":64,"guidance_scale":7.5,"num_inference_steps":3,"seed":7,"loras":{{JsonSerializer.Serialize(loras)}}}"""));

    [Fact]
    public async Task TheBranchSessionsReplaceTheBaseOnes_ForEveryRequest_AndTheWeightsAreHeldOnce()
    {
        var manager = runner.Host.Services.GetRequiredService<ModelManager>();
        long Footprint() => manager.Snapshot().Models.Single(m => m.ModelId == LoraRunner.Sd15).FootprintBytes;
        var graphs = LoraGraph.ReadFolder(TestPaths.Model("tiny", "sd15"));
        var branchBytes = graphs[LoraComponent.Unet].WeightBytes + graphs[LoraComponent.TextEncoder].WeightBytes;

        var plainBefore = await ImageAsync(LoraRunner.Sd15, "");
        var baseBytes = Footprint();
        var withLora = await ImageAsync(LoraRunner.Sd15, """{"tiny-lora/sd15-peft": 1}""");
        var setBytes = Footprint() - baseBytes;
        var plainAfter = await ImageAsync(LoraRunner.Sd15, ""); // now on the branch sessions, fed zeros
        var zeroWeight = await ImageAsync(LoraRunner.Sd15, """{"tiny-lora/sd15-peft": 0}""");
        var kohya = await ImageAsync(LoraRunner.Sd15, """{"tiny-lora/sd15-kohya": 0.5}"""); // same modules: no reopen
        var merged = await ImageAsync(LoraRunner.Merged("sd15", "1"), "");
        // sd15-more needs a branch the UNet's session lacks: it is reopened (the new one opened before the old closes).
        var more = await ImageAsync(LoraRunner.Sd15, """{"tiny-lora/sd15-more": 1}""");
        var plainLast = await ImageAsync(LoraRunner.Sd15, "");
        var withLoraAgain = await ImageAsync(LoraRunner.Sd15, """{"tiny-lora/sd15-peft": 1}""");

        LoraFiles.AssertSame(merged, withLora);
        LoraFiles.AssertSame(plainBefore, plainAfter);
        Assert.Equal(plainAfter.Pixels, zeroWeight.Pixels);
        Assert.True(ImageMetrics.Psnr(plainAfter.Pixels, kohya.Pixels) < 40, "the kohya set should change the image");
        Assert.NotEqual(plainAfter.Pixels, more.Pixels); // sd15-more ran on the reopened session
        LoraFiles.AssertSame(plainBefore, plainLast);
        LoraFiles.AssertSame(merged, withLoraAgain);
        // The branch sessions are charged and the base sessions refunded: only the set's factors are added.
        Assert.True(setBytes > 0 && setBytes * 20 < branchBytes, $"a LoRA added {setBytes} B beside {branchBytes} B of branched weights");
        Assert.True(Footprint() - baseBytes < branchBytes / 10, $"three sets and the branch sessions cost {Footprint() - baseBytes} B: the weights are held once");
    }

    [Fact]
    public async Task OnAFluxModel_TheTransformerAndClipRunOnTheirBranchSessions_ForEveryRequest()
    {
        var plainBefore = await ImageAsync(TransformerLoraRunner.Flux, "");
        var withLora = await ImageAsync(TransformerLoraRunner.Flux, """{"tiny-lora/flux-schnell-peft": 1}""");
        var plainAfter = await ImageAsync(TransformerLoraRunner.Flux, "");
        var merged = await ImageAsync(TransformerLoraRunner.Merged("flux-schnell", "1"), "");

        LoraFiles.AssertSame(merged, withLora);
        LoraFiles.AssertSame(plainBefore, plainAfter);
    }
}
