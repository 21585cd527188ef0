using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>The denoising loop end to end on the tiny fixtures: sizes, determinism, guidance paths, image-to-image.</summary>
public sealed class DiffusionGenerationTests
{
    private static DiffusionRequest TextToImage(double guidance = 7.5, int width = 64, int height = 48, int steps = 3) =>
        new(["a photo of a cat"], [], width, height, guidance, steps);

    private static DiffusionRequest ImageToImage(double strength, double guidance = 7.5, double imageGuidance = 1.5, int steps = 4) =>
        new(["snow"], [], 64, 64, guidance, steps, strength, imageGuidance, DiffusionFixtures.Gradient(64, 64));

    [Theory]
    [InlineData("sd15")]
    [InlineData("sd15-legacy")]
    [InlineData("sdxl")]
    [InlineData("sdxl-lightning")]
    public async Task TextToImage_GivesAnImageOfTheRequestedSize(string fixture)
    {
        var png = await DiffusionFixtures.GenerateAsync(fixture, TextToImage(), seed: 7);

        var image = ImageDecoder.Decode(png, long.MaxValue);
        Assert.Equal((64, 48), (image.Width, image.Height));
    }

    [Theory]
    [InlineData("sd15", 7.5)]
    [InlineData("sd15", 1.0)]
    [InlineData("sdxl", 5.0)]
    [InlineData("sdxl-lightning", 0.0)]
    public async Task SameSeed_GivesIdenticalBytes_AndAnotherSeedDiffers(string fixture, double guidance)
    {
        var first = await DiffusionFixtures.GenerateAsync(fixture, TextToImage(guidance), seed: 42);
        var again = await DiffusionFixtures.GenerateAsync(fixture, TextToImage(guidance), seed: 42);
        var other = await DiffusionFixtures.GenerateAsync(fixture, TextToImage(guidance), seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData("sd15")]
    [InlineData("sdxl")]
    public async Task Guidance_ChangesTheImage(string fixture)
    {
        var unguided = await DiffusionFixtures.GenerateAsync(fixture, TextToImage(guidance: 1.0), seed: 5);
        var guided = await DiffusionFixtures.GenerateAsync(fixture, TextToImage(guidance: 9.0), seed: 5);

        Assert.NotEqual(unguided, guided);
    }

    [Fact]
    public async Task SdxlNegativePrompt_ReplacesTheZeroedUncondition()
    {
        var zeros = await DiffusionFixtures.GenerateAsync("sdxl", TextToImage(), seed: 5);
        var negative = await DiffusionFixtures.GenerateAsync("sdxl", TextToImage() with { NegativePrompts = ["a dog"] }, seed: 5);

        Assert.NotEqual(zeros, negative);
    }

    [Theory]
    [InlineData("sd15")]
    [InlineData("sdxl")]
    public async Task ImageToImage_StrengthChangesTheResult_AndIsDeterministic(string fixture)
    {
        var light = await DiffusionFixtures.GenerateAsync(fixture, ImageToImage(strength: 0.5), seed: 3);
        var lightAgain = await DiffusionFixtures.GenerateAsync(fixture, ImageToImage(strength: 0.5), seed: 3);
        var full = await DiffusionFixtures.GenerateAsync(fixture, ImageToImage(strength: 1.0), seed: 3);

        Assert.Equal(light, lightAgain);
        Assert.NotEqual(light, full);
        Assert.Equal((64, 64), (ImageDecoder.Decode(light, long.MaxValue).Width, ImageDecoder.Decode(light, long.MaxValue).Height));
    }

    [Fact]
    public async Task ImageToImage_StrengthLeavingNoStep_IsAnInferenceError() =>
        await Assert.ThrowsAsync<InferenceException>(() => DiffusionFixtures.GenerateAsync("sd15", ImageToImage(strength: 0.1, steps: 4), seed: 1));

    [Theory]
    [InlineData(7.5, 1.5)]
    [InlineData(1.0, 1.5)]
    public async Task InstructPix2Pix_EditsTheInputImage_Deterministically(double guidance, double imageGuidance)
    {
        var first = await DiffusionFixtures.GenerateAsync("instruct-pix2pix", ImageToImage(1.0, guidance, imageGuidance), seed: 11);
        var again = await DiffusionFixtures.GenerateAsync("instruct-pix2pix", ImageToImage(1.0, guidance, imageGuidance), seed: 11);

        Assert.Equal(first, again);
        var image = ImageDecoder.Decode(first, long.MaxValue);
        Assert.Equal((64, 64), (image.Width, image.Height));
    }

    [Fact]
    public async Task InstructPix2Pix_ImageGuidanceScaleMatters()
    {
        var low = await DiffusionFixtures.GenerateAsync("instruct-pix2pix", ImageToImage(1.0, 7.5, 1.0), seed: 11);
        var high = await DiffusionFixtures.GenerateAsync("instruct-pix2pix", ImageToImage(1.0, 7.5, 3.0), seed: 11);

        Assert.NotEqual(low, high);
    }

    [Fact]
    public async Task InstructPix2Pix_WithoutAnImage_IsRefused() =>
        await Assert.ThrowsAsync<BadInputException>(() => DiffusionFixtures.GenerateAsync("instruct-pix2pix", TextToImage(), seed: 1));

    [Fact]
    public async Task CancelledToken_StopsTheLoop()
    {
        var model = await DiffusionFixtures.LoadAsync("sd15");
        using var cancelled = new CancellationTokenSource();
        await DiffusionFixtures.Turn(model).WaitAsync();
        try
        {
            using var generator = new DiffusionGenerator(model, TextToImage(), CancellationToken.None);
            await cancelled.CancelAsync();
            Assert.ThrowsAny<OperationCanceledException>(() => generator.Generate(1, cancelled.Token));
        }
        finally
        {
            DiffusionFixtures.Turn(model).Release();
        }
    }
}
