using System.Globalization;
using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the tiny SD x4 upscaler under its real id (first, so the default), with an ESRGAN model beside it.</summary>
public sealed class DiffusionUpscalerRunner : ConfiguredRunner
{
    public const string X4 = "stabilityai/stable-diffusion-x4-upscaler";
    public const string Esrgan = "upscalerjs/esrgan-slim-x2";
    public const long MaxImagePixels = 64 * 64;
    public const long MaxOutputPixels = 128 * 128;
    public const long MaxX4InputPixels = 30 * 30;

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "upscale", model_id = X4, warm = true, path = TestPaths.Model("tiny", "sd-x4-upscaler") },
        new { pipeline = "upscale", model_id = Esrgan, warm = false, path = TestPaths.Model("esrgan-slim", "x2", "model.onnx") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() =>
    [
        ("RUNNER_MAX_IMAGE_PIXELS", MaxImagePixels.ToString(CultureInfo.InvariantCulture)),
        ("RUNNER_UPSCALE_MAX_OUTPUT_PIXELS", MaxOutputPixels.ToString(CultureInfo.InvariantCulture)),
        ("RUNNER_X4_UPSCALER_MAX_INPUT_PIXELS", MaxX4InputPixels.ToString(CultureInfo.InvariantCulture)),
    ];
}

/// <summary>/upscale on the Stable Diffusion x4 upscaler end to end, as go-livepeer calls it (random tiny weights: sizes and mechanics).</summary>
public sealed class DiffusionUpscaleRouteTests(DiffusionUpscalerRunner runner) : IClassFixture<DiffusionUpscalerRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static byte[] Png(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = (byte)(i * 7);
        return PngEncoder.Encode(image, 1);
    }

    private async Task<(RgbImage Image, byte[] Png, long Seed)> UpscaleAsync(string route, byte[] png, params (string, string)[] fields)
    {
        using var response = await _client.PostAsync(route, Requests.Form("image", png, fields));
        var media = Assert.Single((await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")).GetProperty("images").EnumerateArray());
        Assert.False(media.GetProperty("nsfw").GetBoolean());
        var bytes = Requests.DecodePngDataUrl(media.GetProperty("url").GetString()!);
        return (ImageDecoder.Decode(bytes, long.MaxValue), bytes, media.GetProperty("seed").GetInt64());
    }

    [Theory]
    [InlineData("/upscale", "", 16, 24)]
    [InlineData("/upscale/", DiffusionUpscalerRunner.X4, 13, 10)]
    public async Task Image_IsUpscaledFourTimes_AndTheSeedReported(string route, string modelId, int width, int height)
    {
        var (image, _, seed) = await UpscaleAsync(route, Png(width, height),
            ("prompt", "a sharp photo"), ("model_id", modelId), ("safety_check", "true"), ("seed", "42"), ("num_inference_steps", "3"));

        Assert.Equal((4 * width, 4 * height), (image.Width, image.Height));
        Assert.Equal(42, seed);
    }

    /// <summary>Sides the UNet cannot take directly (the tiny one halves once) are padded and the result cropped to exactly 4×.</summary>
    [Theory]
    [InlineData(15, 9)]
    [InlineData(29, 17)]
    [InlineData(1, 1)]
    [InlineData(30, 30)]
    public async Task AnyInputSize_IsUpscaledToExactlyFourTimes(int width, int height)
    {
        var (image, _, _) = await UpscaleAsync("/upscale", Png(width, height), ("prompt", "x"), ("seed", "5"), ("num_inference_steps", "2"));
        Assert.Equal((4 * width, 4 * height), (image.Width, image.Height));
    }

    [Fact]
    public async Task OddInputSize_SameSeedGivesIdenticalPngs_AndAnotherSeedDiffers()
    {
        var png = Png(15, 9);
        var first = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "7"), ("num_inference_steps", "2"));
        var again = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "7"), ("num_inference_steps", "2"));
        var other = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "8"), ("num_inference_steps", "2"));

        Assert.Equal(first.Png, again.Png);
        Assert.NotEqual(first.Png, other.Png);
    }

    [Fact]
    public async Task SameSeed_GivesIdenticalPngs_AndAnotherSeedDiffers()
    {
        var png = Png(16, 16);
        var first = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "7"), ("num_inference_steps", "2"));
        var again = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "7"), ("num_inference_steps", "2"));
        var other = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "8"), ("num_inference_steps", "2"));

        Assert.Equal(first.Png, again.Png);
        Assert.NotEqual(first.Png, other.Png);
    }

    [Fact]
    public async Task Prompt_ConditionsTheResult()
    {
        var png = Png(16, 16);
        var cat = await UpscaleAsync("/upscale", png, ("prompt", "a cat"), ("seed", "7"), ("num_inference_steps", "2"));
        var dog = await UpscaleAsync("/upscale", png, ("prompt", "a photo of a dog"), ("seed", "7"), ("num_inference_steps", "2"));
        Assert.NotEqual(cat.Png, dog.Png);
    }

    [Fact]
    public async Task StepsBelowOne_MeanTheDefault75()
    {
        var png = Png(8, 8);
        var omitted = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "3"), ("num_inference_steps", "0"));
        var explicitDefault = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "3"), ("num_inference_steps", "75"));
        var fewer = await UpscaleAsync("/upscale", png, ("prompt", "x"), ("seed", "3"), ("num_inference_steps", "2"));

        Assert.Equal(explicitDefault.Png, omitted.Png);
        Assert.NotEqual(explicitDefault.Png, fewer.Png);
    }

    [Fact]
    public async Task EsrganBesideIt_StillUpscalesByItsOwnScale()
    {
        var (image, _, _) = await UpscaleAsync("/upscale", Png(20, 12), ("prompt", "x"), ("model_id", DiffusionUpscalerRunner.Esrgan));
        Assert.Equal((40, 24), (image.Width, image.Height));
    }

    [Fact]
    public async Task OutputOverTheLimit_IsRefusedBeforeRunning()
    {
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Png(40, 40), ("prompt", "x")));
        Assert.Equal("Upscaling a 40x40 image 4x gives 25600 pixels; this runner returns at most 16384.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task InputOverTheX4Limit_IsRefusedBeforeRunning_WhileEsrganTakesIt()
    {
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Png(31, 31), ("prompt", "x")));
        Assert.Equal("The x4 upscaler takes images of at most 900 pixels (RUNNER_X4_UPSCALER_MAX_INPUT_PIXELS); this one is 31x31.",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));

        var (image, _, _) = await UpscaleAsync("/upscale", Png(31, 31), ("prompt", "x"), ("model_id", DiffusionUpscalerRunner.Esrgan));
        Assert.Equal((62, 62), (image.Width, image.Height));
    }

    [Fact]
    public async Task InputOverTheImageLimit_IsRefused()
    {
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Png(80, 60), ("prompt", "x")));
        Assert.Equal("Image of 80x60 pixels is larger than this runner accepts (4096 pixels).", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}

/// <summary>The tiny x4 upscaler with a safety checker beside it (sd15-safety's checker and feature extractor copied in).</summary>
public sealed class CheckedUpscalerRunner : ConfiguredRunner
{
    public const string X4 = "stabilityai/stable-diffusion-x4-upscaler";

    protected override IEnumerable<object> Models()
    {
        var folder = Directory.CreateTempSubdirectory("x4-safety-").FullName;
        TestPaths.CopyTree(TestPaths.Model("tiny", "sd-x4-upscaler"), folder);
        TestPaths.CopyTree(TestPaths.Model("tiny", "sd15-safety", "safety_checker"), Path.Combine(folder, "safety_checker"));
        TestPaths.CopyTree(TestPaths.Model("tiny", "sd15-safety", "feature_extractor"), Path.Combine(folder, "feature_extractor"));
        return [new { pipeline = "upscale", model_id = X4, warm = true, path = folder }];
    }
}

public sealed class CheckedUpscaleRouteTests(CheckedUpscalerRunner runner) : IClassFixture<CheckedUpscalerRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private async Task<(byte[] Pixels, bool Nsfw)> UpscaleAsync(string safetyCheck, byte shade)
    {
        var input = new RgbImage(16, 16);
        Array.Fill(input.Pixels, shade);
        var png = PngEncoder.Encode(input, 1);
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", png, ("prompt", "x"), ("seed", "3"), ("num_inference_steps", "2"), ("safety_check", safetyCheck)));
        var media = (await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")).GetProperty("images")[0];
        var image = ImageDecoder.Decode(Requests.DecodePngDataUrl(media.GetProperty("url").GetString()!), long.MaxValue);
        return (image.Pixels, media.GetProperty("nsfw").GetBoolean());
    }

    /// <summary>
    /// The checker runs on the upscaled image and its verdict is the reply's <c>nsfw</c> (the tiny upscaler's output
    /// is not flagged; the blackout itself is covered by SafetyCheckerTests and the text-to-image route tests).
    /// </summary>
    [Fact]
    public async Task SafetyCheck_ReportsTheCheckersVerdict_AndBlacksOutWhatItFlags()
    {
        var unchecked_ = await UpscaleAsync("false", 255);
        var checked_ = await UpscaleAsync("true", 255);

        Assert.False(unchecked_.Nsfw);
        Assert.Equal(checked_.Nsfw, checked_.Pixels.All(b => b == 0));
        if (!checked_.Nsfw)
            Assert.Equal(unchecked_.Pixels, checked_.Pixels);
    }
}
