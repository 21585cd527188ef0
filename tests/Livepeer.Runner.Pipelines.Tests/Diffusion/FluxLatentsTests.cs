using Livepeer.Runner.Pipelines.Diffusion.Flux;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

// Hand-worked on a 1×2×4×4 latent holding 0…31 (channel 0 = 0…15, channel 1 = 16…31, row-major); the same packed
// rows and ids were printed by torch running diffusers' view/permute/reshape and _prepare_latent_image_ids.
public sealed class FluxLatentsTests
{
    private static float[] Counting(int count) => [.. Enumerable.Range(0, count).Select(i => (float)i)];

    [Fact]
    public void Pack_GathersEach2x2PatchChannelByChannel()
    {
        var packed = new float[32];

        FluxLatents.Pack(Counting(32), 1, 2, 4, 4, packed);

        Assert.Equal(
            [
                0f, 1, 4, 5, 16, 17, 20, 21,
                2, 3, 6, 7, 18, 19, 22, 23,
                8, 9, 12, 13, 24, 25, 28, 29,
                10, 11, 14, 15, 26, 27, 30, 31,
            ],
            packed);
    }

    [Fact]
    public void Pack_ANonSquareBatchOfTwo_PlacesTheLastTokenOfTheSecondImage()
    {
        var packed = new float[72];

        FluxLatents.Pack(Counting(72), 2, 3, 2, 6, packed);

        // Batch 1, token 2 (patch x = 2): torch gives 40, 41, 46, 47 | 52, 53, 58, 59 | 64, 65, 70, 71.
        Assert.Equal([40f, 41, 46, 47, 52, 53, 58, 59, 64, 65, 70, 71], packed[60..72]);
    }

    [Fact]
    public void Unpack_UndoesPack()
    {
        var latents = Counting(2 * 16 * 6 * 8).Select(v => MathF.Sin(v)).ToArray();
        var packed = new float[latents.Length];
        var back = new float[latents.Length];

        FluxLatents.Pack(latents, 2, 16, 6, 8, packed);
        FluxLatents.Unpack(packed, 2, 16, 6, 8, back);

        Assert.NotEqual(latents, packed);
        Assert.Equal(latents, back);
    }

    [Fact]
    public void ImageIds_AreZeroRowColumnPerToken()
    {
        Assert.Equal([0f, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1], FluxLatents.ImageIds(4, 4));
    }

    [Fact]
    public void ImageIds_OnAWideLatent_CountColumnsFastest()
    {
        var ids = FluxLatents.ImageIds(4, 6);

        Assert.Equal(6 * 3, ids.Length);
        Assert.Equal([0f, 1, 2], ids[15..18]);
    }

    [Theory]
    [InlineData(1024, 128, 4096)]
    [InlineData(512, 64, 1024)]
    [InlineData(1000, 124, 3844)]
    public void SequenceLength_IsTheResolutionsPatchCount(int pixels, int latent, int tokens)
    {
        Assert.Equal(latent, FluxLatents.LatentSize(pixels));
        Assert.Equal(tokens, FluxLatents.SequenceLength(latent, latent));
    }

    [Fact]
    public void Pack_AnOddSide_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => FluxLatents.Pack(new float[30], 1, 2, 3, 5, new float[30]));
    }

    [Fact]
    public void Pack_AWrongLengthBuffer_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => FluxLatents.Pack(new float[32], 1, 2, 4, 4, new float[31]));
    }
}
