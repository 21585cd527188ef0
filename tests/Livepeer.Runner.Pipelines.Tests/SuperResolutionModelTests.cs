using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Upscale;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests;

/// <summary>The real ESRGAN-slim weights on the CPU execution provider, against the package's own goldens (MANIFEST G-ESRGAN).</summary>
public sealed class SuperResolutionModelTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    private static RgbImage Fixture() =>
        ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("upscale", "esrgan-slim", "fixture.png")), long.MaxValue);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task CommittedModel_ReproducesThePackagesGolden(int scale)
    {
        using var model = SuperResolutionModel.Load("esrgan", TestPaths.Model("esrgan-slim", $"x{scale}", "model.onnx"), Sessions, tileSize: 512);
        var golden = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("upscale", "esrgan-slim", "samples", $"{scale}x", "result.png")), long.MaxValue);

        var output = await model.UpscaleAsync(Fixture(), CancellationToken.None);

        Assert.Equal(scale, model.Scale);
        Assert.Equal((128 * scale, 128 * scale), (output.Width, output.Height));
        // The manifest measured 92–95 dB (max |diff| 1 after rounding); bicubic scores about 34 dB.
        Assert.True(ImageMetrics.Psnr(output.Pixels, golden.Pixels) >= 60, $"PSNR {ImageMetrics.Psnr(output.Pixels, golden.Pixels):F2} dB");
    }

    [Fact]
    public async Task TiledRun_MatchesTheWholeImageRun()
    {
        var coffee = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "coffee.png")), long.MaxValue);
        var path = TestPaths.Model("esrgan-slim", "x2", "model.onnx");
        using var whole = SuperResolutionModel.Load("x2", path, Sessions, tileSize: 1024);
        using var tiled = SuperResolutionModel.Load("x2", path, Sessions, tileSize: 96);
        Assert.True(TilePlan.For(coffee.Width, coffee.Height, 96).Count > 1);

        var expected = await whole.UpscaleAsync(coffee, CancellationToken.None);
        var actual = await tiled.UpscaleAsync(coffee, CancellationToken.None);

        // With a 16-pixel margin the tiles see enough context that seams vanish (measured: identical but for rare ±1).
        Assert.True(ImageMetrics.Psnr(expected.Pixels, actual.Pixels) >= 50, $"PSNR {ImageMetrics.Psnr(expected.Pixels, actual.Pixels):F2} dB");
    }

    [Fact]
    public async Task CancelledRequest_StopsBeforeRunning()
    {
        using var model = SuperResolutionModel.Load("x2", TestPaths.Model("esrgan-slim", "x2", "model.onnx"), Sessions, tileSize: 64);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => model.UpscaleAsync(Fixture(), cancelled.Token));
    }

    [Fact]
    public void NonImageGraph_IsRefusedAtLoad()
    {
        // The real stories260K decoder: a valid ONNX file, but not an image-in, image-out graph.
        var error = Assert.Throws<ModelLoadException>(() =>
            SuperResolutionModel.Load("llm", TestPaths.Asset("llm", "stories260K", "model.onnx"), Sessions, 64));
        Assert.Contains("is not an image-to-image super-resolution graph", error.Message);
    }

    [Fact]
    public void CorruptOnnxFile_IsAModelLoadError()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("onnx-").FullName, "model.onnx");
        File.WriteAllBytes(path, "not a protobuf"u8.ToArray());

        var error = Assert.Throws<ModelLoadException>(() => SuperResolutionModel.Load("broken", path, Sessions, 64));
        Assert.Contains("ONNX Runtime could not load 'model.onnx' of broken", error.Message);
    }

    [Fact]
    public async Task DiffusersFolder_IsLoadedAsTheX4Upscaler()
    {
        using var engine = await UpscaleModels.LoadAsync("stabilityai/stable-diffusion-x4-upscaler", TestPaths.Model("tiny", "sd-x4-upscaler"), Sessions, 64, 0);

        Assert.IsType<DiffusionUpscaler>(engine);
        Assert.Equal(4, engine.Scale);
    }

    [Fact]
    public async Task DiffusersFolderOfAnotherFamily_IsRefusedForUpscale()
    {
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => UpscaleModels.LoadAsync("sd15", TestPaths.Model("tiny", "sd15"), Sessions, 64, 0));
        Assert.Contains("not the Stable Diffusion x4 upscaler", error.Message);
    }

    [Fact]
    public async Task IncompleteDiffusersFolder_IsAModelLoadError()
    {
        var folder = Directory.CreateTempSubdirectory("sdx4-").FullName;
        File.WriteAllText(Path.Combine(folder, "model_index.json"), "{}");

        await Assert.ThrowsAsync<ModelLoadException>(() => UpscaleModels.LoadAsync("stabilityai/stable-diffusion-x4-upscaler", folder, Sessions, 64, 0));
    }
}
