using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Video;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Video;

public sealed class AntialiasedResizeTests
{
    // diffusers' _resize_with_antialiasing in torch 1.13 (float32) of the shared Chelsea image (451×300, bytes/255·2 − 1) to 224².
    [Theory]
    [InlineData(0, 0, 0, 0.12156867980957031f)]
    [InlineData(1, 100, 57, -0.3948911428451538f)]
    [InlineData(2, 223, 223, 0.0021806403528898954f)]
    [InlineData(0, 37, 190, -0.017310449853539467f)]
    [InlineData(2, 150, 3, -0.38512685894966125f)]
    public void Chelsea_MatchesDiffusersInTorch(int channel, int y, int x, float expected)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "chelsea.png")), 1L << 24);
        var plane = image.Width * image.Height;
        var planar = new float[3 * plane];
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < 3; c++)
                planar[(c * plane) + p] = (image.Pixels[(p * 3) + c] / 255f * 2f) - 1f;
        }

        var resized = AntialiasedResize.Resize(planar, 3, image.Width, image.Height, 224, 224);

        // torch sums in float32 in its own order; the formula is the same to about 1e-6.
        Assert.Equal(expected, resized[(channel * 224 * 224) + (y * 224) + x], 2e-5f);
    }

    [Fact]
    public void GaussianKernel_HalvingHasSigmaOneHalfAndThreeTaps()
    {
        // 448 → 224: σ = (2 − 1)/2 = 0.5, size int(max(2, 3)) = 3; weights exp(−x²/(2σ²)) = e⁻², 1, e⁻², normalised.
        var kernel = AntialiasedResize.GaussianKernel(0.5);

        var edge = Math.Exp(-2);
        Assert.Equal([edge / (1 + (2 * edge)), 1 / (1 + (2 * edge)), edge / (1 + (2 * edge))], kernel, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void GaussianKernel_IsAlwaysOdd()
    {
        // 4σ = 4.4 → 4 taps → made odd: 5.
        Assert.Equal(5, AntialiasedResize.GaussianKernel(1.1).Length);
        Assert.Equal(3, AntialiasedResize.GaussianKernel(0.001).Length);
    }

    [Fact]
    public void UniformImage_StaysUniform_AtAnySize()
    {
        var planar = Enumerable.Repeat(0.25f, 3 * 300 * 170).ToArray();

        var resized = AntialiasedResize.Resize(planar, 3, 300, 170, 224, 224);

        Assert.Equal(3 * 224 * 224, resized.Length);
        Assert.All(resized, v => Assert.Equal(0.25f, v, 1e-5f));
    }

    [Fact]
    public void AlignCorners_KeepsTheCornerPixels_WhenUpscaling()
    {
        // Upscaling blurs with σ = 0.001 (a no-op) and align_corners maps the corners onto the corners.
        var planar = new float[2 * 3];
        for (var i = 0; i < planar.Length; i++)
            planar[i] = i;

        var resized = AntialiasedResize.Resize(planar, 1, 3, 2, 7, 5);

        Assert.Equal(0f, resized[0], 1e-5f);
        Assert.Equal(2f, resized[6], 1e-5f);
        Assert.Equal(3f, resized[4 * 7], 1e-5f);
        Assert.Equal(5f, resized[^1], 1e-5f);
    }
}
