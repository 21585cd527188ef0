namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// Tiling of a latent image for the VAE (decoding, and encoding in latent units): tiles of <c>size</c> latents
/// overlapping by a quarter, each output value the weighted mean of the tiles covering it, with weights that ramp linearly across the overlap so no seam
/// shows. An image within one tile decodes in one run with weight 1 everywhere (identical to untiled decoding).
/// </summary>
internal static class VaeTiles
{
    public readonly record struct Tile(int Y, int X, int Height, int Width);

    public static int Overlap(int size) => size / 4;

    public static IReadOnlyList<Tile> Plan(int latentHeight, int latentWidth, int size)
    {
        if (size <= 0 || (latentHeight <= size && latentWidth <= size))
            return [new Tile(0, 0, latentHeight, latentWidth)];

        var stride = size - Overlap(size);
        var tiles = new List<Tile>();
        foreach (var y in Starts(latentHeight, size, stride))
        {
            foreach (var x in Starts(latentWidth, size, stride))
                tiles.Add(new Tile(y, x, Math.Min(size, latentHeight - y), Math.Min(size, latentWidth - x)));
        }

        return tiles;
    }

    /// <summary>Tile starts along one side: every stride, the last one flush with the edge.</summary>
    private static IEnumerable<int> Starts(int length, int size, int stride)
    {
        if (length <= size)
        {
            yield return 0;
            yield break;
        }

        for (var start = 0; ; start += stride)
        {
            if (start + size >= length)
            {
                yield return length - size;
                yield break;
            }

            yield return start;
        }
    }

    public static float[] Crop(float[] latents, int channels, int height, int width, Tile tile)
    {
        var crop = new float[channels * tile.Height * tile.Width];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < tile.Height; y++)
            {
                Array.Copy(latents, (((c * height) + tile.Y + y) * width) + tile.X,
                    crop, ((c * tile.Height) + y) * tile.Width, tile.Width);
            }
        }

        return crop;
    }

    /// <summary>
    /// Adds one tile's planar output (<paramref name="channels"/> planes, <paramref name="factor"/> output pixels per
    /// latent: 8 when decoding, 1 when encoding) into the running weighted sums of the whole output.
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> decoded, int channels, Tile tile, int factor, int overlapLatents, int latentHeight, int latentWidth,
        float[] sum, float[] weight, int width, int height)
    {
        int tileHeight = tile.Height * factor, tileWidth = tile.Width * factor, ramp = Math.Max(1, overlapLatents * factor);
        int top = tile.Y * factor, left = tile.X * factor, plane = width * height, tilePlane = tileHeight * tileWidth;
        for (var y = 0; y < tileHeight; y++)
        {
            var wy = Ramp(y, tileHeight, ramp, tile.Y > 0, tile.Y + tile.Height < latentHeight);
            for (var x = 0; x < tileWidth; x++)
            {
                var w = wy * Ramp(x, tileWidth, ramp, tile.X > 0, tile.X + tile.Width < latentWidth);
                var target = ((top + y) * width) + left + x;
                weight[target] += w;
                for (var c = 0; c < channels; c++)
                    sum[(c * plane) + target] += w * decoded[(c * tilePlane) + (y * tileWidth) + x];
            }
        }
    }

    /// <summary>1 inside the tile, rising linearly over <paramref name="ramp"/> pixels at an edge another tile overlaps.</summary>
    private static float Ramp(int position, int length, int ramp, bool fadeIn, bool fadeOut)
    {
        var w = 1f;
        if (fadeIn && position < ramp)
            w = Math.Min(w, (position + 0.5f) / ramp);
        if (fadeOut && length - position <= ramp)
            w = Math.Min(w, (length - position - 0.5f) / ramp);
        return w;
    }
}
