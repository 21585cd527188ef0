using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>
/// An fp16 export (sd15-fp16: sd15's weights with float16 at every float input and output) runs through the same
/// engine: the host converts at the boundary, so its images follow the float32 export's up to float16 rounding.
/// </summary>
public sealed class Float16ExportTests
{
    private const double MinPsnrDb = 45;

    private static DiffusionRequest TextToImage() => new(["a photo of a cat"], [], 64, 48, 7.5, 6);

    private static DiffusionRequest ImageToImage() =>
        new(["snow"], [], 64, 64, 7.5, 6, Strength: 0.6, Image: DiffusionFixtures.Gradient(64, 64));

    [Fact]
    public async Task Fp16Export_IsReadAsFloat16AtEveryFloatBoundary()
    {
        var model = await DiffusionFixtures.LoadAsync("sd15-fp16");

        Assert.Equal(typeof(Float16), model.Unet.InputType("sample"));
        Assert.Equal(typeof(Float16), model.Unet.TimestepType);
        Assert.Equal(typeof(Float16), model.Unet.OutputType);
    }

    [Fact]
    public async Task TextToImage_OnTheFp16Export_FollowsTheFp32Export()
    {
        var fp32 = await DiffusionFixtures.GenerateAsync("sd15", TextToImage(), seed: 11);
        var fp16 = await DiffusionFixtures.GenerateAsync("sd15-fp16", TextToImage(), seed: 11);

        var psnr = Psnr(fp32, fp16);
        Assert.True(psnr >= MinPsnrDb, $"fp16 vs fp32 export: {psnr:F1} dB");
    }

    [Fact]
    public async Task ImageToImage_OnTheFp16Export_FollowsTheFp32Export()
    {
        var fp32 = await DiffusionFixtures.GenerateAsync("sd15", ImageToImage(), seed: 4);
        var fp16 = await DiffusionFixtures.GenerateAsync("sd15-fp16", ImageToImage(), seed: 4);

        var psnr = Psnr(fp32, fp16);
        Assert.True(psnr >= MinPsnrDb, $"fp16 vs fp32 export: {psnr:F1} dB");
    }

    [Fact]
    public async Task Fp16Export_IsDeterministic()
    {
        var first = await DiffusionFixtures.GenerateAsync("sd15-fp16", TextToImage(), seed: 8);
        var again = await DiffusionFixtures.GenerateAsync("sd15-fp16", TextToImage(), seed: 8);

        Assert.Equal(first, again);
    }

    private static double Psnr(byte[] firstPng, byte[] secondPng) =>
        ImageMetrics.Psnr(ImageDecoder.Decode(firstPng, long.MaxValue).Pixels, ImageDecoder.Decode(secondPng, long.MaxValue).Pixels);
}
