using System.Globalization;
using System.Net;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Tests;

/// <summary>
/// Sizes the UNet cannot take directly (issue #22): any multiple of 8 for /text-to-image, any upload size for
/// /image-to-image, exactly the requested size back. The tiny UNets halve once (16 px), so an odd number of latents
/// (600 = 75·8, 72, 136, 300 = 37.5·8 after the old crop) is what real exports fail on at 64 px.
/// </summary>
public sealed class DiffusionSizeRouteTests(DiffusionRunner runner) : IClassFixture<DiffusionRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent TextToImage(string modelId, int width, int height, int seed) => Requests.Json(
        $$"""{"prompt":"a cat","model_id":"{{modelId}}","width":{{width}},"height":{{height}},"guidance_scale":7.5,"num_inference_steps":2,"seed":{{seed}}}""");

    private static MultipartFormDataContent ImageToImage(string modelId, int width, int height, int seed) =>
        Requests.Form("image", Upload(width, height), ("prompt", "make it snow"), ("model_id", modelId), ("strength", "0.800000"),
            ("guidance_scale", "7.500000"), ("image_guidance_scale", "1.500000"), ("num_inference_steps", "3"),
            ("seed", seed.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A diagonal gradient, so the VAE encoder sees content and any padding would show at the borders.</summary>
    private static byte[] Upload(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                image.Pixels[i] = (byte)(x * 255 / width);
                image.Pixels[i + 1] = (byte)(y * 255 / height);
                image.Pixels[i + 2] = (byte)((x + y) % 256);
            }
        }

        return PngEncoder.Encode(image, 1);
    }

    private async Task<byte[]> SinglePngAsync(HttpResponseMessage response)
    {
        var images = (await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")).GetProperty("images");
        Assert.Equal(1, images.GetArrayLength());
        return Requests.DecodePngDataUrl(images[0].GetProperty("url").GetString()!);
    }

    private static (int Width, int Height) SizeOf(byte[] png)
    {
        var image = ImageDecoder.Decode(png, long.MaxValue);
        return (image.Width, image.Height);
    }

    [Theory]
    [InlineData(DiffusionRunner.Sd15, 600, 400)]
    [InlineData(DiffusionRunner.Sd15, 72, 136)]
    [InlineData(DiffusionRunner.Sd15, 8, 8)]
    [InlineData(DiffusionRunner.Sdxl, 600, 400)]
    [InlineData(DiffusionRunner.Sdxl, 72, 136)]
    [InlineData(DiffusionRunner.Sdxl, 200, 24)]
    public async Task TextToImage_AnyMultipleOf8_GivesExactlyThatSize(string modelId, int width, int height)
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(modelId, width, height, seed: 3));
        Assert.Equal((width, height), SizeOf(await SinglePngAsync(response)));
    }

    [Theory]
    [InlineData(DiffusionRunner.Sd15)]
    [InlineData(DiffusionRunner.Sdxl)]
    public async Task TextToImage_OddLatentSize_SameSeedGivesIdenticalBytes_AndAnotherSeedDiffers(string modelId)
    {
        using var first = await _client.PostAsync("/text-to-image", TextToImage(modelId, 72, 136, seed: 11));
        using var again = await _client.PostAsync("/text-to-image", TextToImage(modelId, 72, 136, seed: 11));
        using var other = await _client.PostAsync("/text-to-image", TextToImage(modelId, 72, 136, seed: 12));

        var png = await SinglePngAsync(first);
        Assert.Equal(png, await SinglePngAsync(again));
        Assert.NotEqual(png, await SinglePngAsync(other));
    }

    [Theory]
    [InlineData(DiffusionRunner.Sd15, 600, 400)]
    [InlineData(DiffusionRunner.Sd15, 451, 300)]
    [InlineData(DiffusionRunner.Sd15, 72, 136)]
    [InlineData(DiffusionRunner.Sd15, 13, 5)]
    [InlineData(DiffusionRunner.Sdxl, 451, 300)]
    [InlineData(DiffusionRunner.Pix2Pix, 600, 400)]
    [InlineData(DiffusionRunner.Pix2Pix, 451, 300)]
    [InlineData(DiffusionRunner.Pix2Pix, 72, 136)]
    public async Task ImageToImage_AnyUploadSize_GivesExactlyTheUploadsSize(string modelId, int width, int height)
    {
        using var response = await _client.PostAsync("/image-to-image", ImageToImage(modelId, width, height, seed: 5));
        Assert.Equal((width, height), SizeOf(await SinglePngAsync(response)));
    }

    [Theory]
    [InlineData(DiffusionRunner.Sd15)]
    [InlineData(DiffusionRunner.Pix2Pix)]
    public async Task ImageToImage_OddUploadSize_SameSeedGivesIdenticalBytes_AndAnotherSeedDiffers(string modelId)
    {
        using var first = await _client.PostAsync("/image-to-image", ImageToImage(modelId, 451, 300, seed: 7));
        using var again = await _client.PostAsync("/image-to-image", ImageToImage(modelId, 451, 300, seed: 7));
        using var other = await _client.PostAsync("/image-to-image", ImageToImage(modelId, 451, 300, seed: 8));

        var png = await SinglePngAsync(first);
        Assert.Equal(png, await SinglePngAsync(again));
        Assert.NotEqual(png, await SinglePngAsync(other));
    }

    [Fact]
    public async Task TextToImage_SideNotAMultipleOf8_IsStillTheContractsError()
    {
        using var response = await _client.PostAsync("/text-to-image", TextToImage(DiffusionRunner.Sd15, 600, 404, seed: 1));
        Assert.Equal("Error during model execution: `height` and `width` have to be divisible by 8 but are 404 and 600..",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}

/// <summary>
/// The tiny sd15 fixture with a fixed-shape UNet: ONNX Runtime's free-dimension override pins <c>sample</c>'s height
/// and width to 6×8 latents (48×64 px) and the session writes the graph out with those numbers, as a static export has them.
/// </summary>
public sealed class FixedShapeDiffusionRunner : ConfiguredRunner
{
    public const string ModelId = "fixed/sd15-48x64";

    protected override IEnumerable<object> Models()
    {
        var source = TestPaths.Model("tiny", "sd15");
        var folder = Path.Combine(AppContext.BaseDirectory, "fixed-shape-sd15");
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        TestPaths.CopyTree(source, folder);

        var unet = Path.Combine(folder, "unet", "model.onnx");
        File.Delete(unet);
        using (var options = new SessionOptions())
        {
            options.AddFreeDimensionOverrideByName("height", 6);
            options.AddFreeDimensionOverrideByName("width", 8);
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC;
            options.OptimizedModelFilePath = unet;
            using var session = new InferenceSession(Path.Combine(source, "unet", "model.onnx"), options);
        }

        return [new { pipeline = "text-to-image", model_id = ModelId, warm = true, path = folder }];
    }
}

/// <summary>A size a fixed-shape export cannot run is the contract's 400 naming it; sizes within its own are cropped from it.</summary>
public sealed class FixedShapeDiffusionRouteTests(FixedShapeDiffusionRunner runner) : IClassFixture<FixedShapeDiffusionRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private Task<HttpResponseMessage> TextToImageAsync(int width, int height) => _client.PostAsync("/text-to-image", Requests.Json(
        $$"""{"prompt":"a cat","model_id":"{{FixedShapeDiffusionRunner.ModelId}}","width":{{width}},"height":{{height}},"num_inference_steps":2,"seed":1}"""));

    [Fact]
    public async Task LargerSize_IsA400NamingIt()
    {
        using var response = await TextToImageAsync(600, 400);
        Assert.Equal($"The UNet of {FixedShapeDiffusionRunner.ModelId} is a fixed-shape export that runs 64x48 pixels only; it cannot make a 600x400 image.",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData(64, 48)]
    [InlineData(56, 40)]
    [InlineData(8, 8)]
    public async Task SizeWithinTheExports_GivesExactlyThatSize(int width, int height)
    {
        using var response = await TextToImageAsync(width, height);
        var url = (await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse")).GetProperty("images")[0].GetProperty("url").GetString()!;
        var image = ImageDecoder.Decode(Requests.DecodePngDataUrl(url), long.MaxValue);
        Assert.Equal((width, height), (image.Width, image.Height));
    }
}
