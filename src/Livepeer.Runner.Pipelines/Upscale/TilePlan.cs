namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>
/// Splits an image into tiles that a super-resolution model runs on one at a time, so memory stays bounded
/// whatever the input size. Each tile is run with a margin of real neighbouring pixels around it and only its
/// centre is kept: convolutions near a tile's edge then see the same context as on the whole image, and no seam shows.
/// </summary>
public static class TilePlan
{
    /// <summary>Context kept around every tile, in input pixels; wider than the receptive field that matters in practice.</summary>
    public const int Margin = 16;

    /// <param name="Core">The region of the input this tile produces.</param>
    /// <param name="Padded">The region actually run: <paramref name="Core"/> widened by the margin, clipped to the image.</param>
    public readonly record struct Tile(Region Core, Region Padded);

    public readonly record struct Region(int X, int Y, int Width, int Height);

    public static IReadOnlyList<Tile> For(int width, int height, int tileSize)
    {
        if (width <= tileSize && height <= tileSize)
            return [new Tile(new Region(0, 0, width, height), new Region(0, 0, width, height))];

        var tiles = new List<Tile>();
        for (var y = 0; y < height; y += tileSize)
        {
            for (var x = 0; x < width; x += tileSize)
            {
                var core = new Region(x, y, Math.Min(tileSize, width - x), Math.Min(tileSize, height - y));
                var left = Math.Max(0, x - Margin);
                var top = Math.Max(0, y - Margin);
                var right = Math.Min(width, core.X + core.Width + Margin);
                var bottom = Math.Min(height, core.Y + core.Height + Margin);
                tiles.Add(new Tile(core, new Region(left, top, right - left, bottom - top)));
            }
        }

        return tiles;
    }
}
