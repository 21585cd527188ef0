using System.Net;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>/upscale end to end with the real ESRGAN-slim weights, as go-livepeer calls it.</summary>
public sealed class UpscaleRouteTests(ManyModelsRunner runner) : IClassFixture<ManyModelsRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static RgbImage Golden(int scale) =>
        ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("upscale", "esrgan-slim", "samples", $"{scale}x", "result.png")), long.MaxValue);

    [Theory]
    [InlineData("/upscale", "", 4)]
    [InlineData("/upscale/", "upscalerjs/esrgan-slim-x4", 4)]
    [InlineData("/upscale", "upscalerjs/esrgan-slim-x2", 2)]
    [InlineData("/upscale/", "upscalerjs/esrgan-slim-x3", 3)]
    public async Task Fixture_UpscalesToThePackagesGolden(string route, string modelId, int scale)
    {
        using var response = await _client.PostAsync(route, Requests.Form("image", Requests.Fixture,
            ("prompt", "a sharp photo"), ("model_id", modelId), ("safety_check", "true"), ("seed", "42"), ("num_inference_steps", "75")));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        var media = Assert.Single(json.GetProperty("images").EnumerateArray());
        Assert.Equal(42, media.GetProperty("seed").GetInt64());
        Assert.False(media.GetProperty("nsfw").GetBoolean());
        var image = ImageDecoder.Decode(Requests.DecodePngDataUrl(media.GetProperty("url").GetString()!), long.MaxValue);
        Assert.Equal((128 * scale, 128 * scale), (image.Width, image.Height));
        var psnr = ImageMetrics.Psnr(image.Pixels, Golden(scale).Pixels);
        Assert.True(psnr >= 40, $"PSNR {psnr:F2} dB against the package's golden");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    public async Task MissingOrZeroSeed_IsReplacedByARandomOne(string? seed)
    {
        var fields = new List<(string, string)> { ("prompt", "x") };
        if (seed is not null)
            fields.Add(("seed", seed));
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, [.. fields]));

        var media = (await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")).GetProperty("images")[0];
        Assert.InRange(media.GetProperty("seed").GetInt64(), 0, uint.MaxValue);
    }

    [Fact]
    public async Task EmptyPrompt_CountsAsMissing()
    {
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "")));
        var errors = await response.ReadValidationAsync();
        Assert.Equal([("missing", "body.prompt", "Field required")], errors);
    }

    [Fact]
    public async Task CorruptImage_IsA400AndTheRunnerKeepsServing()
    {
        using var corrupt = await _client.PostAsync("/upscale", Requests.Form("image", "GIF89a\x01\x00 not really"u8.ToArray(), ("prompt", "x")));
        Assert.StartsWith("Unable to decode the image", await corrupt.ReadErrorAsync(HttpStatusCode.BadRequest));

        using var next = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "upscalerjs/esrgan-slim-x2")));
        await next.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
    }

    [Fact]
    public async Task UploadOverTheLimit_IsRefusedWithoutBufferingIt()
    {
        var huge = new byte[ManyModelsRunner.MaxUploadBytes + 1];
        Requests.Fixture.CopyTo(huge, 0);

        using var response = await _client.PostAsync("/upscale", Requests.Form("image", huge, ("prompt", "x")));

        Assert.Equal("File size exceeds limit.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ImageWithTooManyPixels_IsRefused()
    {
        var big = PngEncoder.Encode(new RgbImage(1100, 1000), 1);
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", big, ("prompt", "x")));
        Assert.Equal("Image of 1100x1000 pixels is larger than this runner accepts (1048576 pixels).", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task OutputOverTheLimit_IsRefusedBeforeRunning()
    {
        var png = PngEncoder.Encode(new RgbImage(300, 300), 1);
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", png, ("prompt", "x")));
        Assert.Equal("Upscaling a 300x300 image 4x gives 1440000 pixels; this runner returns at most 1048576.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ConcurrentRequests_AreQueuedNotRefused()
    {
        var requests = Enumerable.Range(1, 6).Select(async seed =>
        {
            using var response = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture,
                ("prompt", "x"), ("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("model_id", seed % 2 == 0 ? "upscalerjs/esrgan-slim-x2" : "")));
            return (seed, await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse"));
        });

        foreach (var (seed, json) in await Task.WhenAll(requests))
            Assert.Equal(seed, json.GetProperty("images")[0].GetProperty("seed").GetInt64());
    }
}
