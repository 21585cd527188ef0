using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Media;

/// <summary>PIL's Lanczos (diffusers' VaeImageProcessor resample), checked against Pillow 9.4 on the shared Chelsea image.</summary>
public sealed class PilLanczosTests
{
    private static readonly Lazy<RgbImage> Chelsea = new(() => ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "chelsea.png")), 1L << 24));

    // Pillow's Image.resize((w, h), LANCZOS) of the 451×300 image: the sum of the RGB bytes and Σ (i + 1)·byte mod 2³¹.
    [Theory]
    [InlineData(256, 144, 12751961L, 1439496331L)]
    [InlineData(64, 48, 1062662L, 771275119L)]
    [InlineData(600, 500, 103774502L, 859090282L)]
    public void Resize_Chelsea_EqualsPillowOnEveryByte(int width, int height, long expectedSum, long expectedWeighted)
    {
        var resized = PilResize.Resize(Chelsea.Value, width, height, PilFilter.Lanczos);

        long sum = 0, weighted = 0;
        for (var i = 0; i < resized.Pixels.Length; i++)
        {
            sum += resized.Pixels[i];
            weighted = (weighted + ((i + 1L) * resized.Pixels[i])) % (1L << 31);
        }

        Assert.Equal((expectedSum, expectedWeighted), (sum, weighted));
    }
}
