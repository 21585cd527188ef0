using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>Padding image inputs out to the run size (by reflection) and cropping outputs back.</summary>
public sealed class SizePlanTests
{
    private static RgbImage Numbered(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = (byte)(i * 31 % 251);
        return image;
    }

    private static byte[] Pixel(RgbImage image, int x, int y) => image.Pixels.AsSpan(((y * image.Width) + x) * 3, 3).ToArray();

    [Theory]
    [InlineData(451, 300, 464, 304)]
    [InlineData(3, 2, 64, 64)]
    [InlineData(1, 1, 16, 16)]
    [InlineData(64, 64, 64, 64)]
    public void PadThenCrop_GivesBackTheImage(int width, int height, int runWidth, int runHeight)
    {
        var plan = new SizePlan(width, height, runWidth, runHeight, 8);
        var image = Numbered(width, height);

        var padded = plan.Pad(image);

        Assert.Equal((runWidth, runHeight), (padded.Width, padded.Height));
        Assert.Equal(image.Pixels, plan.Crop(padded).Pixels);
    }

    [Fact]
    public void Pad_ReflectsAboutTheLastColumnAndRow_FoldingWhenWider()
    {
        var image = Numbered(3, 2);
        var padded = new SizePlan(3, 2, 8, 5, 1).Pad(image);

        // Columns 3..7 mirror 1, 0, 1, 2, 1 (period 4); rows 2..4 mirror 0, 1, 0 (period 2).
        int[] columns = [0, 1, 2, 1, 0, 1, 2, 1];
        int[] rows = [0, 1, 0, 1, 0];
        for (var y = 0; y < 5; y++)
        {
            for (var x = 0; x < 8; x++)
                Assert.Equal(Pixel(image, columns[x], rows[y]), Pixel(padded, x, y));
        }
    }

    [Fact]
    public void Crop_KeepsTheTopLeft()
    {
        var run = Numbered(16, 8);
        var cropped = new SizePlan(5, 3, 16, 8, 8).Crop(run);

        Assert.Equal((5, 3), (cropped.Width, cropped.Height));
        Assert.Equal(Pixel(run, 4, 2), Pixel(cropped, 4, 2));
        Assert.Equal(Pixel(run, 0, 1), Pixel(cropped, 0, 1));
    }

    [Fact]
    public void Scaled_CropsTheUpscalersOutputToFourTimesTheInput()
    {
        var plan = new SizePlan(13, 10, 14, 10, 1).Scaled(4);

        Assert.Equal((52, 40, 56, 40), (plan.Width, plan.Height, plan.RunWidth, plan.RunHeight));
        Assert.Equal((52, 40), (plan.Crop(Numbered(56, 40)).Width, plan.Crop(Numbered(56, 40)).Height));
    }

    [Fact]
    public void WrongSizedImages_AreRefused()
    {
        var plan = new SizePlan(5, 3, 16, 8, 8);
        Assert.Throws<ArgumentException>(() => plan.Pad(Numbered(16, 8)));
        Assert.Throws<ArgumentException>(() => plan.Crop(Numbered(5, 3)));
    }
}
