using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>The SD x4 upscaler's loop on the tiny sd-x4-upscaler fixture (random weights: sizes and mechanics, not looks).</summary>
public sealed class UpscalerGenerationTests
{
    private const string Fixture = "sd-x4-upscaler";

    private static UpscalerRequest Request(int width = 16, int height = 24, double guidance = 9.0, int steps = 3, int noiseLevel = 20, string prompt = "a sharp photo") =>
        new(prompt, DiffusionFixtures.Gradient(width, height), steps, guidance, noiseLevel);

    private static async Task<byte[]> UpscaleAsync(UpscalerRequest request, ulong seed, CancellationToken cancellationToken = default)
    {
        var model = await DiffusionFixtures.LoadAsync(Fixture);
        await DiffusionFixtures.Turn(model).WaitAsync(CancellationToken.None);
        try
        {
            using var generator = new UpscalerGenerator(model, request, CancellationToken.None);
            return DiffusionFixtures.Png(generator.Generate(seed, cancellationToken));
        }
        finally
        {
            DiffusionFixtures.Turn(model).Release();
        }
    }

    [Fact]
    public async Task Fixture_IsAnUpscalerWithItsLowResSchedulerAndNoiseLimit()
    {
        var model = await DiffusionFixtures.LoadAsync(Fixture);

        Assert.Equal(DiffusionFamily.Upscaler, model.Family);
        Assert.True(model.Unet.HasClassLabels);
        Assert.Equal(7, model.Unet.InChannels);
        Assert.Equal((4, 0.08333f), (model.Vae.DownFactor, model.Vae.ScalingFactor));
        Assert.Equal(350, model.Upscaler!.MaxNoiseLevel);
        Assert.Equal(PredictionType.VPrediction, model.SchedulerConfig.PredictionType);
    }

    [Theory]
    [InlineData(16, 24)]
    [InlineData(13, 10)]
    public async Task Output_IsExactlyFourTimesTheInput(int width, int height)
    {
        var image = ImageDecoder.Decode(await UpscaleAsync(Request(width, height), seed: 5), long.MaxValue);
        Assert.Equal((4 * width, 4 * height), (image.Width, image.Height));
    }

    [Theory]
    [InlineData(9.0)]
    [InlineData(1.0)]
    public async Task SameSeed_GivesIdenticalBytes_AndAnotherSeedDiffers(double guidance)
    {
        var first = await UpscaleAsync(Request(guidance: guidance), seed: 42);
        var again = await UpscaleAsync(Request(guidance: guidance), seed: 42);
        var other = await UpscaleAsync(Request(guidance: guidance), seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Guidance_ChangesTheImage()
    {
        var guided = await UpscaleAsync(Request(guidance: 9.0), seed: 3);
        var unguided = await UpscaleAsync(Request(guidance: 1.0), seed: 3);
        Assert.NotEqual(guided, unguided);
    }

    [Fact]
    public async Task NoiseLevel_ConditionsTheUnet()
    {
        var low = await UpscaleAsync(Request(noiseLevel: 0), seed: 3);
        var high = await UpscaleAsync(Request(noiseLevel: 300), seed: 3);
        Assert.NotEqual(low, high);
    }

    [Fact]
    public async Task NoiseLevelAboveTheModelsMaximum_IsAnInferenceError()
    {
        var error = await Assert.ThrowsAsync<InferenceException>(() => UpscaleAsync(Request(noiseLevel: 351), seed: 1));
        Assert.Equal("`noise_level` has to be <= 350 but is 351", error.Message);
    }

    [Fact]
    public async Task CancelledToken_StopsTheLoop()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => UpscaleAsync(Request(), seed: 1, cancelled.Token));
    }

    [Fact]
    public async Task TextToImageOnTheUpscaler_IsRefused() =>
        await Assert.ThrowsAsync<BadInputException>(() =>
            DiffusionFixtures.GenerateAsync(Fixture, new DiffusionRequest(["a cat"], [], 32, 32, 7.5, 2), seed: 1));
}
