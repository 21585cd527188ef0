using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>The sd15-safety fixture (a steerable safety checker, models/tiny/README.md) beside plain sd15.</summary>
public sealed class SafetyCheckRunner : ConfiguredRunner
{
    public const string WithChecker = "test/sd15-safety";
    public const string WithoutChecker = "test/sd15";

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "text-to-image", model_id = WithChecker, warm = true, path = TestPaths.Model("tiny", "sd15-safety") },
        new { pipeline = "text-to-image", model_id = WithoutChecker, warm = false, path = TestPaths.Model("tiny", "sd15") },
        new { pipeline = "image-to-image", model_id = WithChecker, warm = false, path = TestPaths.Model("tiny", "sd15-safety") },
    ];
}

/// <summary>
/// safety_check on /text-to-image and /image-to-image: with a checker and safety_check true, nsfw is its verdict and
/// flagged images are black; with safety_check false it does not run; without a checker nsfw is false.
/// </summary>
public sealed class SafetyCheckRouteTests(SafetyCheckRunner runner) : IClassFixture<SafetyCheckRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    // With these settings the tiny model's seed 1 gives an image below the checker's threshold and seed 2 one above.
    private static StringContent TextToImage(string modelId, bool safetyCheck) => Requests.Json(
        $$"""{"prompt":"a photo of a cat | watercolor","model_id":"{{modelId}}","height":48,"width":64,"guidance_scale":7.5,"negative_prompt":"","safety_check":{{(safetyCheck ? "true" : "false")}},"num_inference_steps":3,"seed":1,"num_images_per_prompt":2}""");

    private static List<(RgbImage Image, long Seed, bool Nsfw)> Images(JsonElement json) =>
        [.. json.GetProperty("images").EnumerateArray().Select(m => (
            ImageDecoder.Decode(Requests.DecodePngDataUrl(m.GetProperty("url").GetString()!), long.MaxValue),
            m.GetProperty("seed").GetInt64(), m.GetProperty("nsfw").GetBoolean()))];

    private static bool AllBlack(RgbImage image) => image.Pixels.All(b => b == 0);

    [Fact]
    public async Task SafetyCheckOn_FlagsAndBlacksOutOnlyTheFlaggedImage()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(SafetyCheckRunner.WithChecker, safetyCheck: true));

        var images = Images(await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        Assert.Equal([(1L, false), (2L, true)], images.Select(i => (i.Seed, i.Nsfw)));
        Assert.False(AllBlack(images[0].Image));
        Assert.True(AllBlack(images[1].Image));
        Assert.Equal((64, 48), (images[1].Image.Width, images[1].Image.Height));
    }

    [Fact]
    public async Task SafetyCheckOff_DoesNotRunTheChecker()
    {
        using var on = await _client.PostAsync("/text-to-image", TextToImage(SafetyCheckRunner.WithChecker, safetyCheck: true));
        using var off = await _client.PostAsync("/text-to-image", TextToImage(SafetyCheckRunner.WithChecker, safetyCheck: false));

        var checkedImages = Images(await on.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        var plain = Images(await off.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        Assert.All(plain, i => Assert.False(i.Nsfw));
        Assert.All(plain, i => Assert.False(AllBlack(i.Image)));
        // The clean image is the same either way; the flagged one is only blacked out when checked.
        Assert.Equal(checkedImages[0].Image.Pixels, plain[0].Image.Pixels);
    }

    [Fact]
    public async Task ModelWithoutChecker_ReportsNotNsfw()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(SafetyCheckRunner.WithoutChecker, safetyCheck: true));

        var images = Images(await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.False(i.Nsfw));
        Assert.All(images, i => Assert.False(AllBlack(i.Image)));
    }

    [Fact]
    public async Task ImageToImage_CleanImages_PassTheCheckerUnchanged()
    {
        // The tiny model's image-to-image outputs from this input all fall below the checker's threshold.
        MultipartFormDataContent Request(bool safetyCheck) => Requests.Form("image", Requests.Fixture,
            ("prompt", "make it snow"), ("model_id", SafetyCheckRunner.WithChecker), ("strength", "0.8"), ("guidance_scale", "7.5"),
            ("num_inference_steps", "4"), ("seed", "1"), ("num_images_per_prompt", "2"), ("safety_check", safetyCheck ? "true" : "false"));
        using var on = await _client.PostAsync("/image-to-image", Request(safetyCheck: true));
        using var off = await _client.PostAsync("/image-to-image", Request(safetyCheck: false));

        var checkedImages = Images(await on.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        var plain = Images(await off.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        Assert.Equal(2, checkedImages.Count);
        Assert.All(checkedImages.Concat(plain), i => Assert.False(i.Nsfw));
        Assert.Equal(plain.Select(i => i.Image.Pixels), checkedImages.Select(i => i.Image.Pixels));
    }
}
