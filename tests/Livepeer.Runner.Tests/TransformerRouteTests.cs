using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the tiny Flux and SD3 fixtures under the real model ids ai-runner serves.</summary>
public sealed class TransformerRunner : ConfiguredRunner
{
    public const string Schnell = "black-forest-labs/FLUX.1-schnell";
    public const string Dev = "black-forest-labs/FLUX.1-dev";
    public const string Sd3 = "stabilityai/stable-diffusion-3.5-medium";

    /// <summary>Black Forest Labs' TensorRT ONNX repository, with the diffusers repository's side files beside its graphs.</summary>
    public const string SchnellBfl = "black-forest-labs/FLUX.1-schnell-onnx";

    private static string Tiny(string fixture) => TestPaths.Model("tiny", fixture);

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = Schnell, warm = false, path = Tiny("flux-schnell") },
        new { pipeline = "text-to-image", model_id = Dev, warm = false, path = Tiny("flux-dev") },
        new { pipeline = "text-to-image", model_id = Sd3, warm = false, path = Tiny("sd3") },
        new { pipeline = "image-to-image", model_id = Schnell, warm = false, path = Tiny("flux-schnell") },
        new { pipeline = "image-to-image", model_id = Sd3, warm = false, path = Tiny("sd3") },
        new { pipeline = "text-to-image", model_id = SchnellBfl, warm = false, path = Tiny("flux-schnell-bfl") },
        new { pipeline = "image-to-image", model_id = SchnellBfl, warm = false, path = Tiny("flux-schnell-bfl") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
    [
        ("RUNNER_MAX_IMAGE_PIXELS", (512 * 512).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        // No LoRA leaves the machine here: an empty cache only.
        ("RUNNER_LORA_DOWNLOADS", "0"), ("MODEL_DIR", TempFolder),
    ];
}

/// <summary>flux-schnell on a 1 GiB budget: too little for a 1024² request's attention estimate.</summary>
public sealed class SmallBudgetTransformerRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = TransformerRunner.Schnell, warm = false, path = TestPaths.Model("tiny", "flux-schnell") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
    [
        ("RUNNER_CPU_MEMORY_BYTES", (1L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("RUNNER_MAX_IMAGE_PIXELS", (2048 * 2048).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

/// <summary>A transformer request reserves its attention's estimate, so one that cannot fit the device is refused up front.</summary>
public sealed class TransformerAdmissionTests(SmallBudgetTransformerRunner runner) : IClassFixture<SmallBudgetTransformerRunner>
{
    [Fact]
    public async Task A1024SquareFluxImage_NeedsMoreThanTheBudget_AndIsRefusedSayingSo()
    {
        using var client = runner.Host.CreateClient();
        using var response = await client.PostAsync("/text-to-image", Requests.Json(
            $$"""{"prompt":"a cat","model_id":"{{TransformerRunner.Schnell}}","height":1024,"width":1024,"num_inference_steps":1}"""));

        // (64·64 image tokens + 512 text tokens)² · 2 heads (the fixture's transformer/config.json) · 8 bytes
        // + 1024² · 1536 bytes of VAE decode = 1,950,351,360 bytes; FLUX.1's 24 heads would make it 5,424 MiB.
        var message = await response.ReadErrorAsync(HttpStatusCode.BadRequest);
        Assert.StartsWith("This request needs 1860 MiB of working memory", message, StringComparison.Ordinal);
    }
}

/// <summary>/text-to-image and /image-to-image on FLUX.1 schnell and dev and SD3, as go-livepeer calls them.</summary>
public sealed class TransformerRouteTests(TransformerRunner runner) : IClassFixture<TransformerRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent TextToImage(string modelId, string extra = "", string prompt = "a photo of a cat") => Requests.Json(
        $$"""{"prompt":{{JsonSerializer.Serialize(prompt)}},"model_id":"{{modelId}}","height":40,"width":72,"guidance_scale":3.5,"negative_prompt":"","safety_check":true,"num_inference_steps":2,"seed":3{{extra}}}""");

    private async Task<List<(string Url, long Seed, bool Nsfw)>> ImagesAsync(HttpContent request, string route = "/text-to-image")
    {
        using var response = await _client.PostAsync(route, request);
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        return [.. json.GetProperty("images").EnumerateArray().Select(m => (m.GetProperty("url").GetString()!, m.GetProperty("seed").GetInt64(), m.GetProperty("nsfw").GetBoolean()))];
    }

    private static RgbImage Decode(string url) => ImageDecoder.Decode(Requests.DecodePngDataUrl(url), long.MaxValue);

    [Theory]
    [InlineData(TransformerRunner.Schnell)]
    [InlineData(TransformerRunner.Dev)]
    [InlineData(TransformerRunner.Sd3)]
    [InlineData(TransformerRunner.SchnellBfl)]
    public async Task TextToImage_GivesPngsOfTheRequestedSize_SeedsCountingUp_Reproducibly(string modelId)
    {
        var images = await ImagesAsync(TextToImage(modelId, ""","num_images_per_prompt":2"""));
        var again = await ImagesAsync(TextToImage(modelId, ""","num_images_per_prompt":2"""));

        Assert.Equal([3L, 4L], images.Select(i => i.Seed));
        Assert.All(images, i => Assert.Equal((72, 40), (Decode(i.Url).Width, Decode(i.Url).Height)));
        Assert.All(images, i => Assert.False(i.Nsfw)); // optimum exports no safety checker for these pipelines
        Assert.NotEqual(images[0].Url, images[1].Url);
        Assert.Equal(images, again);
    }

    [Theory]
    [InlineData(TransformerRunner.Schnell)]
    [InlineData(TransformerRunner.Sd3)]
    public async Task PromptSplitOnBar_SendsTheSecondPartToTheSecondEncoder(string modelId)
    {
        var single = await ImagesAsync(TextToImage(modelId, prompt: "a red fox"));
        var repeated = await ImagesAsync(TextToImage(modelId, prompt: "a red fox | a red fox"));
        var split = await ImagesAsync(TextToImage(modelId, prompt: "a red fox | a blue whale"));

        Assert.Equal(single, repeated);
        Assert.NotEqual(single, split);
    }

    [Fact]
    public async Task NegativePrompt_IsIgnoredForFlux_AndUsedForSd3()
    {
        var fluxPlain = await ImagesAsync(TextToImage(TransformerRunner.Schnell));
        var fluxNegative = await ImagesAsync(TextToImage(TransformerRunner.Schnell, ""","negative_prompt":"blurry | dark" """));
        var sd3Plain = await ImagesAsync(TextToImage(TransformerRunner.Sd3));
        var sd3Negative = await ImagesAsync(TextToImage(TransformerRunner.Sd3, ""","negative_prompt":"blurry" """));

        Assert.Equal(fluxPlain, fluxNegative);
        Assert.NotEqual(sd3Plain, sd3Negative);
    }

    [Fact]
    public async Task Guidance_IsAnInputOfDevOnly()
    {
        var devLow = await ImagesAsync(TextToImage(TransformerRunner.Dev, ""","guidance_scale":1.5"""));
        var devHigh = await ImagesAsync(TextToImage(TransformerRunner.Dev, ""","guidance_scale":7.5"""));
        var schnellLow = await ImagesAsync(TextToImage(TransformerRunner.Schnell, ""","guidance_scale":1.5"""));
        var schnellHigh = await ImagesAsync(TextToImage(TransformerRunner.Schnell, ""","guidance_scale":7.5"""));

        Assert.NotEqual(devLow, devHigh);
        Assert.Equal(schnellLow, schnellHigh);
    }

    [Fact]
    public async Task StepsOmitted_IsSchnellsFourSteps()
    {
        var omitted = await ImagesAsync(TextToImage(TransformerRunner.Schnell, ""","num_inference_steps":0"""));
        var four = await ImagesAsync(TextToImage(TransformerRunner.Schnell, ""","num_inference_steps":4"""));
        var two = await ImagesAsync(TextToImage(TransformerRunner.Schnell));

        Assert.Equal(four, omitted);
        Assert.NotEqual(two, omitted);
    }

    [Theory]
    [InlineData(TransformerRunner.Schnell)]
    [InlineData(TransformerRunner.Sd3)]
    [InlineData(TransformerRunner.SchnellBfl)]
    public async Task ImageToImage_EditsTheUploadAtItsSize(string modelId)
    {
        MultipartFormDataContent Form(string strength) => Requests.Form("image", Requests.Fixture,
            [("prompt", "make it snow"), ("model_id", modelId), ("strength", strength), ("guidance_scale", "3.5"), ("num_inference_steps", "4"), ("seed", "5")]);

        var light = await ImagesAsync(Form("0.5"), "/image-to-image");
        var full = await ImagesAsync(Form("1.0"), "/image-to-image");

        var image = Assert.Single(light);
        Assert.Equal((128, 128), (Decode(image.Url).Width, Decode(image.Url).Height));
        Assert.NotEqual(light, full);
    }

    [Theory]
    [InlineData(TransformerRunner.Schnell, false)]
    [InlineData(TransformerRunner.Sd3, false)]
    [InlineData(TransformerRunner.Sd3, true)]
    public async Task AHugePrompt_IsTruncatedByEachTokenizer_NotRefused(string modelId, bool oneWord)
    {
        // CLIP keeps 77 tokens and T5 its 256; 60,000 characters (or one 60,000-letter word) only cost the tokenizers.
        var prompt = oneWord ? new string('x', 60_000) : string.Concat(Enumerable.Repeat("a red fox | ", 5_000));
        var image = Assert.Single(await ImagesAsync(TextToImage(modelId, prompt: prompt)));

        Assert.Equal((72, 40), (Decode(image.Url).Width, Decode(image.Url).Height));
    }

    [Theory]
    [InlineData(""","height":60""", "Error during model execution: `height` and `width` have to be divisible by 8 but are 60 and 72..")]
    [InlineData(""","num_inference_steps":5000""", "Error during model execution: num_inference_steps must be between 1 and 1000, got 5000..")]
    public async Task BadRequests_AnswerTheContractsErrors(string extra, string message)
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(TransformerRunner.Schnell, extra));
        Assert.Equal(message, await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}
