using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>The size planner: the UNet's factor from its config and graph, rounding, and fixed-shape exports.</summary>
public sealed class UnetSizingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unet-sizing-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly int[] FreeAxes = [-1, 4, -1, -1];

    private string Config(string json)
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("[320, 640, 1280, 1280]", 8, 64)] // SD1.5
    [InlineData("[320, 640, 1280]", 8, 32)] // SDXL
    [InlineData("[256, 512, 512, 1024]", 1, 8)] // four blocks over latents at the low-res size, as the x4 upscaler
    [InlineData("[16]", 8, 8)]
    public void Read_FactorIsTwoToTheDownBlocks_TimesThePixelsPerLatent(string blockOutChannels, int pixelsPerLatent, int pixelMultiple)
    {
        var sizing = UnetSizing.Read("m", Config($$"""{"block_out_channels": {{blockOutChannels}}}"""), FreeAxes, pixelsPerLatent);
        Assert.Equal(pixelMultiple, sizing.PixelMultiple);
        Assert.Equal((0, 0), (sizing.FixedLatentWidth, sizing.FixedLatentHeight));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"sample_size": 64}""")]
    [InlineData("""{"block_out_channels": []}""")]
    public void Read_WithoutBlockOutChannels_Defaults64Pixels(string? json)
    {
        var path = json is null ? Path.Combine(_dir, "absent.json") : Config(json);
        Assert.Equal(64, UnetSizing.Read("m", path, FreeAxes, 8).PixelMultiple);
        Assert.Equal(64, UnetSizing.Read("m", path, FreeAxes, 1).PixelMultiple);
    }

    [Theory]
    [InlineData("sd15", 16, 8)]
    [InlineData("sdxl", 16, 8)]
    [InlineData("instruct-pix2pix", 16, 8)]
    [InlineData("sd-x4-upscaler", 2, 1)]
    public async Task LoadedFixture_ReadsItsUnetsFactor(string fixture, int pixelMultiple, int pixelsPerLatent)
    {
        var model = await DiffusionFixtures.LoadAsync(fixture);
        Assert.Equal((pixelMultiple, pixelsPerLatent), (model.Sizing.PixelMultiple, model.Sizing.PixelsPerLatent));
    }

    [Theory]
    [InlineData(64, 600, 400, 640, 448)]
    [InlineData(32, 600, 400, 608, 416)]
    [InlineData(16, 451, 300, 464, 304)]
    [InlineData(64, 512, 512, 512, 512)]
    [InlineData(64, 8, 8, 64, 64)]
    [InlineData(64, 1, 65, 64, 128)]
    public void Plan_RoundsEachSideUpToTheFactor(int multiple, int width, int height, int runWidth, int runHeight)
    {
        var plan = new UnetSizing("m", 8, multiple / 8).Plan(width, height);
        Assert.Equal((width, height, runWidth, runHeight), (plan.Width, plan.Height, plan.RunWidth, plan.RunHeight));
        Assert.Equal((runWidth / 8, runHeight / 8), (plan.LatentWidth, plan.LatentHeight));
        Assert.Equal(width == runWidth && height == runHeight, plan.IsExact);
    }

    [Fact]
    public void Plan_OfAnEmptySide_IsBadInput() =>
        Assert.Throws<BadInputException>(() => new UnetSizing("m", 8, 8).Plan(0, 64));

    [Fact]
    public void FixedShapeExport_RunsItsOwnSize_AndCropsWhatFitsInIt()
    {
        var sizing = UnetSizing.Read("fixed/sd15", Config("""{"block_out_channels": [320, 640, 1280, 1280]}"""), [2, 4, 64, 64], 8);

        Assert.True(sizing.Plan(512, 512).IsExact);
        var smaller = sizing.Plan(456, 320);
        Assert.Equal((512, 512), (smaller.RunWidth, smaller.RunHeight));
    }

    [Fact]
    public void FixedShapeExport_RefusesALargerSize_NamingIt()
    {
        var sizing = UnetSizing.Read("fixed/sd15", Config("""{"block_out_channels": [320, 640, 1280, 1280]}"""), [2, 4, 64, 64], 8);

        var error = Assert.Throws<BadInputException>(() => sizing.Plan(600, 400));
        Assert.Equal("The UNet of fixed/sd15 is a fixed-shape export that runs 512x512 pixels only; it cannot make a 600x400 image.", error.Message);
    }

    /// <summary>ONNX Runtime's free-dimension override turns the tiny UNet's named axes into numbers, as a fixed-shape export has them.</summary>
    [Fact]
    public void FixedAxes_AreReadFromTheGraphsSampleInput()
    {
        var folder = TestPaths.Model("tiny", "sd15", "unet");
        using var options = new SessionOptions();
        options.AddFreeDimensionOverrideByName("height", 6);
        options.AddFreeDimensionOverrideByName("width", 10);
        using var session = new InferenceSession(Path.Combine(folder, "model.onnx"), options);

        var sizing = UnetSizing.Read("fixed/tiny", Path.Combine(folder, "config.json"), session.InputMetadata["sample"].Dimensions, 8);

        Assert.Equal((10, 6), (sizing.FixedLatentWidth, sizing.FixedLatentHeight));
        Assert.Equal((80, 48), (sizing.Plan(72, 40).RunWidth, sizing.Plan(72, 40).RunHeight));
        Assert.Throws<BadInputException>(() => sizing.Plan(88, 40));
    }
}
