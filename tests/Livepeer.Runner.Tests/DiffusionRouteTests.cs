using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the tiny diffusion fixtures under real model ids, so the id-based overrides apply.</summary>
public sealed class DiffusionRunner : ConfiguredRunner
{
    public const string Sd15 = "stable-diffusion-v1-5/stable-diffusion-v1-5";
    public const string Legacy = "legacy/sd15-optimum-1.22";
    public const string Fp16 = "fp16/sd15-optimum-fp16";
    public const string Sdxl = "stabilityai/stable-diffusion-xl-base-1.0";
    public const string Lightning = "ByteDance/SDXL-Lightning-4step";
    public const string Pix2Pix = "timbrooks/instruct-pix2pix";
    public const string WithoutFiles = "SG161222/RealVisXL_V4.0_Lightning";

    private static string Tiny(string fixture) => TestPaths.Model("tiny", fixture);

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = Sd15, warm = true, path = Tiny("sd15") },
        new { pipeline = "text-to-image", model_id = Legacy, warm = false, path = Tiny("sd15-legacy") },
        new { pipeline = "text-to-image", model_id = Fp16, warm = false, path = Tiny("sd15-fp16") },
        new { pipeline = "text-to-image", model_id = Sdxl, warm = false, path = Tiny("sdxl") },
        new { pipeline = "text-to-image", model_id = Lightning, warm = false, path = Tiny("sdxl-lightning") },
        new { pipeline = "text-to-image", model_id = WithoutFiles, warm = false },
        new { pipeline = "image-to-image", model_id = Pix2Pix, warm = false, path = Tiny("instruct-pix2pix") },
        new { pipeline = "image-to-image", model_id = Sd15, warm = false, path = Tiny("sd15") },
        new { pipeline = "image-to-image", model_id = Sdxl, warm = false, path = Tiny("sdxl") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
    [
        ("RUNNER_MAX_IMAGE_PIXELS", (512 * 512).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        // No LoRA leaves the machine here (LoraRouteTests downloads them from a hub stand-in): an empty cache only.
        ("RUNNER_LORA_DOWNLOADS", "0"), ("MODEL_DIR", TempFolder),
    ];
}

/// <summary>/text-to-image and /image-to-image end to end on the tiny fixtures, as go-livepeer calls them.</summary>
public sealed class DiffusionRouteTests(DiffusionRunner runner) : IClassFixture<DiffusionRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent TextToImage(string modelId, string extra = "") => Requests.Json(
        $$"""{"prompt":"a photo of a cat | watercolor","model_id":"{{modelId}}","height":48,"width":64,"guidance_scale":7.5,"negative_prompt":"","safety_check":true,"num_inference_steps":3{{extra}}}""");

    private static MultipartFormDataContent ImageToImage(string modelId, params (string, string)[] extra) =>
        Requests.Form("image", Requests.Fixture, [("prompt", "make it snow"), ("model_id", modelId), ("strength", "0.800000"),
            ("guidance_scale", "7.500000"), ("image_guidance_scale", "1.500000"), ("num_inference_steps", "4"), ("safety_check", "true"), .. extra]);

    private static List<(string Url, long Seed, bool Nsfw)> Images(JsonElement json) =>
        [.. json.GetProperty("images").EnumerateArray().Select(m => (m.GetProperty("url").GetString()!, m.GetProperty("seed").GetInt64(), m.GetProperty("nsfw").GetBoolean()))];

    private static RgbImage Decode(string url) => ImageDecoder.Decode(Requests.DecodePngDataUrl(url), long.MaxValue);

    [Theory]
    [InlineData(DiffusionRunner.Sd15)]
    [InlineData(DiffusionRunner.Legacy)]
    [InlineData(DiffusionRunner.Fp16)]
    [InlineData(DiffusionRunner.Sdxl)]
    [InlineData(DiffusionRunner.Lightning)]
    public async Task TextToImage_GivesOnePngPerImage_WithSeedsCountingUp(string modelId)
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(modelId, ""","seed":42,"num_images_per_prompt":2"""));

        var images = Images(await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        Assert.Equal([42L, 43L], images.Select(i => i.Seed));
        Assert.All(images, i => Assert.False(i.Nsfw));
        Assert.All(images, i => Assert.Equal((64, 48), (Decode(i.Url).Width, Decode(i.Url).Height)));
        Assert.NotEqual(images[0].Url, images[1].Url);
    }

    [Fact]
    public async Task TextToImage_SecondImage_IsTheFirstImageOfTheNextSeed()
    {
        using var pair = await _client.PostAsync("/text-to-image/", TextToImage(DiffusionRunner.Sd15, ""","seed":42,"num_images_per_prompt":2"""));
        using var single = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, ""","seed":43"""));

        var second = Images(await pair.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"))[1];
        var alone = Assert.Single(Images(await single.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
        Assert.Equal(alone, second);
    }

    [Fact]
    public async Task TextToImage_WithoutSeed_ReportsTheRandomSeedItUsed()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15));
        var image = Assert.Single(Images(await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
        Assert.InRange(image.Seed, 0, uint.MaxValue);

        using var again = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, $$""","seed":{{image.Seed}}"""));
        Assert.Equal(image.Url, Assert.Single(Images(await again.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"))).Url);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task NoImagesRequested_AnswersAnEmptyList(int count)
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, $$""","num_images_per_prompt":{{count}}"""));
        Assert.Equal("""{"images":[]}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SideNotAMultipleOf8_IsTheWrappedDiffusersError()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json(
            $$"""{"prompt":"a cat","model_id":"{{DiffusionRunner.Sd15}}","height":60,"width":64,"num_inference_steps":2}"""));
        Assert.Equal("Error during model execution: `height` and `width` have to be divisible by 8 but are 60 and 64..",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task SizeOverThePixelLimit_IsRefused()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json(
            $$"""{"prompt":"a cat","model_id":"{{DiffusionRunner.Sd15}}","height":1024,"width":1024,"num_inference_steps":2}"""));
        Assert.StartsWith("A 1024x1024 image has", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("nope", "Unable to parse 'nope' as JSON..")]
    [InlineData("""{"a/b": -1}""", "All strengths must be numbers greater than or equal to 0.0..")]
    [InlineData("""{"a/b": "x"}""", "All strengths must be numbers greater than or equal to 0.0..")]
    [InlineData("""{"a":1,"b":1,"c":1,"d":1,"e":1}""", "Too many LoRas provided. Maximum is 4..")]
    [InlineData("""{"latent-consistency/lcm-lora-sdxl": 1.0}""", "Unable to load LoRas for adapter 'latent-consistency/lcm-lora-sdxl'.")]
    public async Task Loras_AnswerTheContractsErrors(string loras, string message)
    {
        using var t2i = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, $",\"loras\":{JsonSerializer.Serialize(loras)}"));
        Assert.Equal(message, await t2i.ReadErrorAsync(HttpStatusCode.BadRequest));

        using var i2i = await _client.PostAsync("/image-to-image", ImageToImage(DiffusionRunner.Pix2Pix, ("loras", loras)));
        Assert.Equal(message, await i2i.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task EmptyLorasObject_DisablesAdapters()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, ""","loras":"{}","seed":1"""));
        Assert.Single(Images(await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
    }

    [Fact]
    public async Task Lightning_IgnoresTheRequestedGuidance()
    {
        using var guided = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Lightning, ""","seed":9"""));
        using var unguided = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Lightning, ""","seed":9,"guidance_scale":0"""));

        Assert.Equal(Images(await unguided.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")), Images(await guided.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
    }

    [Fact]
    public async Task Guidance_ChangesTheImageOfAnOrdinaryModel()
    {
        using var guided = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, ""","seed":9"""));
        using var unguided = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, ""","seed":9,"guidance_scale":1"""));

        Assert.NotEqual(Images(await unguided.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")), Images(await guided.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
    }

    [Theory]
    [InlineData("/image-to-image", DiffusionRunner.Pix2Pix)]
    [InlineData("/image-to-image/", DiffusionRunner.Sdxl)]
    public async Task ImageToImage_EditsTheUploadAtItsSize_Reproducibly(string route, string modelId)
    {
        using var first = await _client.PostAsync(route, ImageToImage(modelId, ("seed", "5"), ("num_images_per_prompt", "2")));
        using var again = await _client.PostAsync(route, ImageToImage(modelId, ("seed", "5"), ("num_images_per_prompt", "2")));

        var images = Images(await first.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        Assert.Equal(images, Images(await again.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
        Assert.Equal([5L, 6L], images.Select(i => i.Seed));
        Assert.All(images, i => Assert.Equal((128, 128), (Decode(i.Url).Width, Decode(i.Url).Height)));
    }

    [Fact]
    public async Task ImageToImage_StrengthChangesTheResult()
    {
        using var light = await _client.PostAsync("/image-to-image", ImageToImage(DiffusionRunner.Sdxl, ("seed", "5"), ("strength", "0.5")));
        using var full = await _client.PostAsync("/image-to-image", ImageToImage(DiffusionRunner.Sdxl, ("seed", "5"), ("strength", "1.0")));

        Assert.NotEqual(Images(await light.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")), Images(await full.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
    }

    [Fact]
    public async Task ImageToImage_StrengthLeavingNoStep_IsTheWrappedDiffusersError()
    {
        using var response = await _client.PostAsync("/image-to-image", ImageToImage(DiffusionRunner.Sdxl, ("strength", "0.1")));
        Assert.StartsWith("Error during model execution: ", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ImageToImage_NoImagesRequested_AnswersAnEmptyList()
    {
        using var response = await _client.PostAsync("/image-to-image", ImageToImage(DiffusionRunner.Pix2Pix, ("num_images_per_prompt", "0")));
        Assert.Empty(Images(await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")));
    }

    [Fact]
    public async Task ModelWithoutFiles_Answers500SayingWhereTheyWereLookedFor()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.WithoutFiles));
        Assert.StartsWith($"Model files for {DiffusionRunner.WithoutFiles} were not found in", await response.ReadErrorAsync(HttpStatusCode.InternalServerError));
    }
}
