using Livepeer.Runner.Pipelines.Upscale;

namespace Livepeer.Runner.Pipelines.Tests;

public sealed class TilePlanTests
{
    [Fact]
    public void SmallImage_IsOneTileWithoutMargin()
    {
        var tile = Assert.Single(TilePlan.For(100, 80, 128));
        Assert.Equal(new TilePlan.Region(0, 0, 100, 80), tile.Core);
        Assert.Equal(tile.Core, tile.Padded);
    }

    [Theory]
    [InlineData(451, 300, 96)]
    [InlineData(1000, 7, 64)]
    [InlineData(257, 257, 128)]
    public void Cores_CoverEveryPixelExactlyOnce(int width, int height, int size)
    {
        var covered = new int[width * height];
        foreach (var tile in TilePlan.For(width, height, size))
        {
            Assert.True(tile.Core.Width <= size && tile.Core.Height <= size);
            Assert.True(tile.Padded.X <= tile.Core.X && tile.Padded.Y <= tile.Core.Y);
            Assert.True(tile.Padded.X + tile.Padded.Width >= tile.Core.X + tile.Core.Width);
            Assert.True(tile.Padded.X >= 0 && tile.Padded.X + tile.Padded.Width <= width);
            Assert.True(tile.Padded.Y >= 0 && tile.Padded.Y + tile.Padded.Height <= height);
            for (var y = tile.Core.Y; y < tile.Core.Y + tile.Core.Height; y++)
                for (var x = tile.Core.X; x < tile.Core.X + tile.Core.Width; x++)
                    covered[(y * width) + x]++;
        }

        Assert.All(covered, count => Assert.Equal(1, count));
    }

    [Fact]
    public void InteriorTiles_CarryTheFullMargin()
    {
        var tiles = TilePlan.For(300, 300, 100);
        var centre = tiles.Single(t => t.Core.X == 100 && t.Core.Y == 100);
        Assert.Equal(new TilePlan.Region(100 - TilePlan.Margin, 100 - TilePlan.Margin, 100 + (2 * TilePlan.Margin), 100 + (2 * TilePlan.Margin)), centre.Padded);
    }
}
