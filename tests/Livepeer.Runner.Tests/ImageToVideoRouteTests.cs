using System.Globalization;
using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Livepeer.Runner.Tests.Live;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The tiny SVD fixture, plainly and in a temporary copy with the steerable safety checker of sd15-safety beside it
/// (models/tiny/README.md: a uniform grey 127 image is flagged, 126 is not); a pixel × frame limit that 64×48 fits.
/// </summary>
public sealed class VideoRunner : ConfiguredRunner
{
    public const string Plain = "test/tiny-svd";
    public const string WithChecker = "test/tiny-svd-safety";
    public const long MaxVideoPixels = 64 * 48 * 14;

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>The fixture's frame count, as its UNet config states it.</summary>
    public static int ConfigFrames { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Model("tiny", "svd"), "unet", "config.json")))
        .RootElement.GetProperty("num_frames").GetInt32();

    protected override IEnumerable<object> Models()
    {
        var withChecker = Path.Combine(TempFolder, "svd-safety");
        TestPaths.CopyTree(TestPaths.Model("tiny", "svd"), withChecker);
        TestPaths.CopyTree(Path.Combine(TestPaths.Model("tiny", "sd15-safety"), "safety_checker"), Path.Combine(withChecker, "safety_checker"));
        return
        [
            new { pipeline = "image-to-video", model_id = Plain, warm = true, path = TestPaths.Model("tiny", "svd") },
            new { pipeline = "image-to-video", model_id = WithChecker, warm = false, path = withChecker },
        ];
    }

    protected override IEnumerable<(string Name, string Value)> Settings() =>
        [("RUNNER_MAX_VIDEO_PIXELS", MaxVideoPixels.ToString(CultureInfo.InvariantCulture))];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);
}

/// <summary>/image-to-video end to end on the tiny Stable Video Diffusion fixture (RUNNER-CONTRACT §2.3).</summary>
public sealed class ImageToVideoRouteTests(VideoRunner runner) : IClassFixture<VideoRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    /// <summary>A 64×48, 2-step request; <paramref name="fields"/> add to or replace those.</summary>
    private static MultipartFormDataContent Video(byte[] image, params (string Name, string Value)[] fields)
    {
        (string Name, string Value)[] defaults = [("width", "64"), ("height", "48"), ("num_inference_steps", "2")];
        return Requests.Form("image", image, [.. defaults.Where(d => fields.All(f => f.Name != d.Name)), .. fields]);
    }

    private static byte[] Grey(byte level)
    {
        var image = new RgbImage(40, 32);
        Array.Fill(image.Pixels, level);
        return PngEncoder.Encode(image, 1);
    }

    private async Task<List<(RgbImage Image, long Seed, bool Nsfw)>> FramesAsync(MultipartFormDataContent body)
    {
        using var response = await _client.PostAsync("/image-to-video", body);
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "VideoResponse");
        var batch = Assert.Single(json.GetProperty("frames").EnumerateArray());
        return [.. batch.EnumerateArray().Select(m => (
            ImageDecoder.Decode(Requests.DecodePngDataUrl(m.GetProperty("url").GetString()!), long.MaxValue),
            m.GetProperty("seed").GetInt64(), m.GetProperty("nsfw").GetBoolean()))];
    }

    [Fact]
    public async Task Video_IsOneBatchOfTheUnetsFrameCount_EachAPngOfTheRequestedSize_WithTheSeed()
    {
        var frames = await FramesAsync(Video(Requests.Fixture, ("seed", "7")));

        Assert.Equal(VideoRunner.ConfigFrames, frames.Count);
        Assert.All(frames, f => Assert.Equal((64, 48, 7L, false), (f.Image.Width, f.Image.Height, f.Seed, f.Nsfw)));
        // The frames differ from one another (the UNet sees each frame's own noise).
        Assert.True(frames.Select(f => Convert.ToBase64String(f.Image.Pixels)).Distinct().Count() > 1);
    }

    [Fact]
    public async Task SameSeed_GivesTheSameFrames_AnotherSeedOthers()
    {
        var first = await FramesAsync(Video(Requests.Fixture, ("seed", "11")));
        var again = await FramesAsync(Video(Requests.Fixture, ("seed", "11")));
        var other = await FramesAsync(Video(Requests.Fixture, ("seed", "12")));

        Assert.Equal(first.Select(f => f.Image.Pixels), again.Select(f => f.Image.Pixels));
        Assert.NotEqual(first[^1].Image.Pixels, other[^1].Image.Pixels);
        Assert.All(other, f => Assert.Equal(12L, f.Seed));
    }

    [Fact]
    public async Task NoSeed_ReportsOneRandomSeedOnEveryFrame()
    {
        var frames = await FramesAsync(Video(Requests.Fixture));

        var seed = frames[0].Seed;
        Assert.InRange(seed, 0, uint.MaxValue);
        Assert.All(frames, f => Assert.Equal(seed, f.Seed));
    }

    [Fact]
    public async Task MicroConditioning_ChangesTheFrames()
    {
        var plain = await FramesAsync(Video(Requests.Fixture, ("seed", "3")));
        var moving = await FramesAsync(Video(Requests.Fixture, ("seed", "3"), ("motion_bucket_id", "40"), ("fps", "12")));

        Assert.NotEqual(plain[^1].Image.Pixels, moving[^1].Image.Pixels);
    }

    [Fact]
    public async Task StepsBelowOne_AreTheDefault25()
    {
        var omitted = await FramesAsync(Requests.Form("image", Requests.Fixture, ("width", "64"), ("height", "48"), ("seed", "5"), ("num_inference_steps", "0")));
        var explicit25 = await FramesAsync(Requests.Form("image", Requests.Fixture, ("width", "64"), ("height", "48"), ("seed", "5"), ("num_inference_steps", "25")));

        Assert.Equal(explicit25.Select(f => f.Image.Pixels), omitted.Select(f => f.Image.Pixels));
    }

    [Fact]
    public async Task SafetyCheck_JudgesTheInputImage_AndLeavesTheFramesAlone()
    {
        var flagged = await FramesAsync(Video(Grey(127), ("model_id", VideoRunner.WithChecker), ("seed", "1")));
        var clean = await FramesAsync(Video(Grey(126), ("model_id", VideoRunner.WithChecker), ("seed", "1")));
        var unchecked127 = await FramesAsync(Video(Grey(127), ("model_id", VideoRunner.WithChecker), ("seed", "1"), ("safety_check", "false")));

        Assert.All(flagged, f => Assert.True(f.Nsfw));
        Assert.All(clean, f => Assert.False(f.Nsfw));
        Assert.All(unchecked127, f => Assert.False(f.Nsfw));
        // The verdict is only reported: the frames are those of the unchecked run, not blacked out.
        Assert.Equal(unchecked127.Select(f => f.Image.Pixels), flagged.Select(f => f.Image.Pixels));
    }

    [Fact]
    public async Task ModelWithoutChecker_ReportsNsfwFalse()
    {
        var frames = await FramesAsync(Video(Grey(127), ("model_id", VideoRunner.Plain), ("seed", "1")));

        Assert.All(frames, f => Assert.False(f.Nsfw));
    }

    [Fact]
    public async Task Steps_AreMeteredPerModel_AndLogged()
    {
        _ = await FramesAsync(Video(Requests.Fixture, ("model_id", VideoRunner.Plain), ("seed", "2"), ("num_inference_steps", "5")));

        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Matches(@"livepeer_runner_denoise_step_seconds_count\{pipeline=""image-to-video"",model_id=""test/tiny-svd""\} [1-9]", metrics);
        Assert.Contains(runner.Logs.Lines, l => l.Contains("denoise pipeline=image-to-video model_id=test/tiny-svd step=5/5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SizeNotDivisibleBy8_Is400()
    {
        using var response = await _client.PostAsync("/image-to-video", Video(Requests.Fixture, ("width", "60")));
        Assert.Equal("`height` and `width` have to be divisible by 8 but are 48 and 60.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task MorePixelsTimesFramesThanTheLimit_Is400NamingTheSetting()
    {
        using var response = await _client.PostAsync("/image-to-video", Video(Requests.Fixture, ("width", "72")));
        var message = await response.ReadErrorAsync(HttpStatusCode.BadRequest);
        Assert.Equal($"A 72x48 video of {VideoRunner.ConfigFrames} frames has {72 * 48 * VideoRunner.ConfigFrames} pixels; this runner generates at most {VideoRunner.MaxVideoPixels} (RUNNER_MAX_VIDEO_PIXELS).", message);
    }

    [Fact]
    public async Task NonPositiveSize_Is400()
    {
        using var response = await _client.PostAsync("/image-to-video", Video(Requests.Fixture, ("width", "0")));
        Assert.Equal("`height` and `width` must be positive but are 48 and 0.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task MoreStepsThanTheSchedulerTrained_Is400()
    {
        using var response = await _client.PostAsync("/image-to-video", Video(Requests.Fixture, ("num_inference_steps", "1001")));
        Assert.Equal("num_inference_steps must be between 1 and 1000, got 1001.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task UndecodableImage_IsTheRoutes500_AndTheRouteKeepsServing()
    {
        using var response = await _client.PostAsync("/image-to-video", Video("\x89PNG\r\n\x1a\n not really"u8.ToArray()));
        Assert.Equal("Image-to-video pipeline error.", await response.ReadErrorAsync(HttpStatusCode.InternalServerError));

        Assert.Equal(VideoRunner.ConfigFrames, (await FramesAsync(Video(Requests.Fixture, ("seed", "1")))).Count);
    }

    [Fact]
    public async Task MissingImage_Is422()
    {
        using var response = await _client.PostAsync("/image-to-video", Requests.Form("image", null, ("width", "64")));
        var errors = await response.ReadValidationAsync();
        Assert.Contains(errors, e => e.Loc == "body.image" && e.Type == "missing");
    }

    [Fact]
    public async Task UnknownModel_Is400()
    {
        using var response = await _client.PostAsync("/image-to-video", Video(Requests.Fixture, ("model_id", "other/model")));
        Assert.Equal($"pipeline configured with {VideoRunner.Plain}, {VideoRunner.WithChecker} but called with other/model.",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task NotAnInteger_Is422()
    {
        using var response = await _client.PostAsync("/image-to-video", Video(Requests.Fixture, ("motion_bucket_id", "fast")));
        var errors = await response.ReadValidationAsync();
        Assert.Contains(errors, e => e.Loc == "body.motion_bucket_id" && e.Type == "int_parsing");
    }
}
