using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Livepeer.Runner.Tests.Models;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The tiny flux-schnell and sd3 fixtures as base models, the same fixtures with their tiny LoRA (transformer and text
/// encoders, diffusers/PEFT names) merged in torch at 1 and 0.5 as references, and the LoRA repositories served by the
/// hub stand-in.
/// </summary>
public sealed class TransformerLoraRunner : HubLoraRunner
{
    public const string Flux = "tiny/flux-schnell";
    public const string Sd3 = "tiny/sd3";

    /// <summary>flux-schnell with lora-flux-kohya's transformer, whose modules have diffusers' names, and the same merged with its kohya LoRA.</summary>
    public const string FluxKohya = "tiny/flux-kohya";

    public const string FluxKohyaMerged = "merged/flux-kohya-w1";

    public static string Base(string fixture) => $"tiny/{fixture}";

    public static string Merged(string fixture, string weight) => $"merged/{fixture}-w{weight}";

    private protected override Task PrepareAsync(HubStandIn hub)
    {
        hub.Add("tiny-lora/flux-schnell-peft", TestPaths.Model("tiny", "lora-flux-schnell", "peft"));
        hub.Add("tiny-lora/sd3-peft", TestPaths.Model("tiny", "lora-sd3", "peft"));
        hub.Add("tiny-lora/sd15-peft", TestPaths.Model("tiny", "lora-sd15", "peft"));
        hub.Add("tiny-lora/flux-kohya", TestPaths.Model("tiny", "lora-flux-kohya", "kohya"));
        return Task.CompletedTask;
    }

    protected override IEnumerable<object> Models()
    {
        var kohya = TestPaths.Model("tiny", "lora-flux-kohya");
        var transformer = (Path.Combine(kohya, "transformer"), "transformer");
        yield return new { pipeline = "text-to-image", model_id = FluxKohya, warm = false,
            path = LoraFiles.Assemble(Path.Combine(TempFolder, "flux-kohya"), "flux-schnell", transformer) };
        yield return new { pipeline = "text-to-image", model_id = FluxKohyaMerged, warm = false,
            path = LoraFiles.Assemble(Path.Combine(TempFolder, "flux-kohya-w1"), "flux-schnell", transformer, (Path.Combine(kohya, "merged-w1"), "")) };
        foreach (var fixture in new[] { "flux-schnell", "sd3" })
        {
            yield return new { pipeline = "text-to-image", model_id = Base(fixture), warm = false, path = TestPaths.Model("tiny", fixture) };
            yield return new { pipeline = "image-to-image", model_id = Base(fixture), warm = false, path = TestPaths.Model("tiny", fixture) };
            foreach (var weight in new[] { "1", "0.5" })
            {
                var folder = LoraFiles.MergedFolder(TempFolder, fixture, weight);
                yield return new { pipeline = "text-to-image", model_id = Merged(fixture, weight), warm = false, path = folder };
                yield return new { pipeline = "image-to-image", model_id = Merged(fixture, weight), warm = false, path = folder };
            }
        }
    }
}

/// <summary>LoRAs on the Flux and SD3 transformers through HTTP: the merge of the transformer and text encoders, weight 0, mismatches.</summary>
public sealed class TransformerLoraRouteTests(TransformerLoraRunner runner) : IClassFixture<TransformerLoraRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent TextToImage(string modelId, string loras) => Requests.Json(
        $$"""{"prompt":"a photo of a cat","model_id":"{{modelId}}","height":48,"width":64,"guidance_scale":4.0,"negative_prompt":"blurry","num_inference_steps":2,"seed":7,"loras":{{JsonSerializer.Serialize(loras)}}}""");

    private Task<RgbImage> ImageAsync(HttpContent request, string route = "/text-to-image") => LoraFiles.ImageAsync(_client, request, route);

    [Theory]
    [InlineData("flux-schnell", "1")]
    [InlineData("flux-schnell", "0.5")]
    [InlineData("sd3", "1")]
    [InlineData("sd3", "0.5")]
    public async Task TextToImage_LoraAtAWeight_IsTheModelWithItMergedInTorch(string fixture, string weight)
    {
        var baseModel = TransformerLoraRunner.Base(fixture);
        var withLora = await ImageAsync(TextToImage(baseModel, $$"""{"tiny-lora/{{fixture}}-peft": {{weight}}}"""));
        var merged = await ImageAsync(TextToImage(TransformerLoraRunner.Merged(fixture, weight), ""));
        var plain = await ImageAsync(TextToImage(baseModel, ""));

        LoraFiles.AssertSame(merged, withLora);
        Assert.True(ImageMetrics.Psnr(plain.Pixels, withLora.Pixels) < 40, "the LoRA should change the image");
    }

    [Fact]
    public async Task AKohyaFluxLora_InBlackForestLabsNames_IsTheModelWithItMergedInTorch()
    {
        // Fused qkv and linear1 split over the diffusers modules, the final modulation's halves swapped (KohyaFluxNames).
        var withLora = await ImageAsync(TextToImage(TransformerLoraRunner.FluxKohya, """{"tiny-lora/flux-kohya": 1}"""));
        var merged = await ImageAsync(TextToImage(TransformerLoraRunner.FluxKohyaMerged, ""));
        var plain = await ImageAsync(TextToImage(TransformerLoraRunner.FluxKohya, ""));

        LoraFiles.AssertSame(merged, withLora);
        Assert.True(ImageMetrics.Psnr(plain.Pixels, withLora.Pixels) < 40, "the LoRA should change the image");
    }

    [Fact]
    public async Task ImageToImage_FluxLoraIsTheModelWithItMergedInTorch()
    {
        static MultipartFormDataContent Form(string modelId, string loras) => Requests.Form("image", Requests.Fixture,
            [("prompt", "make it snow"), ("model_id", modelId), ("strength", "0.8"), ("num_inference_steps", "4"), ("seed", "3"), ("loras", loras)]);

        var withLora = await ImageAsync(Form(TransformerLoraRunner.Flux, """{"tiny-lora/flux-schnell-peft": 1}"""), "/image-to-image");
        var merged = await ImageAsync(Form(TransformerLoraRunner.Merged("flux-schnell", "1"), ""), "/image-to-image");

        LoraFiles.AssertSame(merged, withLora);
    }

    [Theory]
    [InlineData("flux-schnell")]
    [InlineData("sd3")]
    public async Task LoraAtWeightZero_IsTheBaseModel(string fixture)
    {
        var baseModel = TransformerLoraRunner.Base(fixture);
        var zero = await ImageAsync(TextToImage(baseModel, $$"""{"tiny-lora/{{fixture}}-peft": 0}"""));
        var plain = await ImageAsync(TextToImage(baseModel, ""));

        Assert.Equal(plain.Pixels, zero.Pixels);
    }

    [Theory]
    [InlineData(TransformerLoraRunner.Sd3, "tiny-lora/flux-schnell-peft")]
    [InlineData(TransformerLoraRunner.Flux, "tiny-lora/sd3-peft")]
    [InlineData(TransformerLoraRunner.Flux, "tiny-lora/sd15-peft")]
    public async Task AnotherModelsLora_IsIncompatible(string modelId, string repo)
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(modelId, $$"""{"{{repo}}": 1}"""));
        Assert.Equal($"LoRa incompatible with base model: '{modelId}'.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}
