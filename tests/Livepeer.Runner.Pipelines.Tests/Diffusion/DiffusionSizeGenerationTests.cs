using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>
/// Sizes the tiny UNets (factor 16 px) cannot take directly are generated at the next size they take and cropped:
/// the result is exactly the top-left of what that run size gives, and an input image is edited as its reflection-padded self.
/// </summary>
public sealed class DiffusionSizeGenerationTests
{
    private static RgbImage Decode(byte[] png) => ImageDecoder.Decode(png, long.MaxValue);

    private static RgbImage TopLeft(RgbImage image, int width, int height) =>
        new SizePlan(width, height, image.Width, image.Height, 8).Crop(image);

    [Theory]
    [InlineData("sd15", 7.5)]
    [InlineData("sd15", 1.0)]
    [InlineData("sd15-fp16", 7.5)]
    [InlineData("sdxl", 5.0)]
    [InlineData("sdxl-lightning", 0.0)]
    public async Task TextToImage_OddLatentSize_IsTheTopLeftOfTheNextSizeTheUnetTakes(string fixture, double guidance)
    {
        var odd = Decode(await DiffusionFixtures.GenerateAsync(fixture, new(["a cat"], [], 72, 136, guidance, 2), seed: 4));
        var run = Decode(await DiffusionFixtures.GenerateAsync(fixture, new(["a cat"], [], 80, 144, guidance, 2), seed: 4));

        Assert.Equal((72, 136), (odd.Width, odd.Height));
        Assert.Equal(TopLeft(run, 72, 136).Pixels, odd.Pixels);
    }

    [Theory]
    [InlineData("sd15")]
    [InlineData("sdxl")]
    [InlineData("instruct-pix2pix")]
    public async Task ImageToImage_AnyUploadSize_IsItsReflectionPaddingEdited_AndCroppedBack(string fixture)
    {
        var upload = DiffusionFixtures.Gradient(45, 30);
        var padded = new SizePlan(45, 30, 48, 32, 8).Pad(upload);

        var odd = Decode(await DiffusionFixtures.GenerateAsync(fixture, new(["snow"], [], 0, 0, 7.5, 3, 0.8, 1.5, upload), seed: 6));
        var run = Decode(await DiffusionFixtures.GenerateAsync(fixture, new(["snow"], [], 0, 0, 7.5, 3, 0.8, 1.5, padded), seed: 6));

        Assert.Equal((45, 30), (odd.Width, odd.Height));
        Assert.Equal(TopLeft(run, 45, 30).Pixels, odd.Pixels);
    }

    [Fact]
    public async Task Upscaler_OddInput_IsItsReflectionPaddingUpscaled_AndCroppedToFourTimes()
    {
        var model = await DiffusionFixtures.LoadAsync("sd-x4-upscaler");
        var input = DiffusionFixtures.Gradient(13, 9);
        var padded = new SizePlan(13, 9, 14, 10, 1).Pad(input);

        RgbImage Upscale(RgbImage image)
        {
            using var generator = new UpscalerGenerator(model, new UpscalerRequest("a photo", image, Steps: 2), CancellationToken.None);
            return generator.Generate(3, CancellationToken.None);
        }

        // Each generator owns its buffers and ONNX Runtime sessions run concurrently, so no gate is needed here.
        var odd = Upscale(input);
        var run = Upscale(padded);
        Assert.Equal((52, 36), (odd.Width, odd.Height));
        Assert.Equal(TopLeft(run, 52, 36).Pixels, odd.Pixels);
    }
}
