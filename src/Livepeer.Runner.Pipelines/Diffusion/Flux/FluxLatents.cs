namespace Livepeer.Runner.Pipelines.Diffusion.Flux;

/// <summary>
/// The Flux transformer sees a latent as a sequence of 2×2 patches: [B, C, H, W] becomes [B, (H/2)·(W/2), C·4], patch
/// (y, x) at token y·(W/2) + x, its features ordered channel, then row in the patch, then column (diffusers'
/// FluxPipeline._pack_latents / _unpack_latents). Flat row-major float spans throughout; H and W are latent sizes.
/// </summary>
public static class FluxLatents
{
    /// <summary>The token count of a packed latent, (H/2)·(W/2): the image sequence length dynamic shifting reads.</summary>
    public static int SequenceLength(int height, int width)
    {
        CheckEven(height, width);
        return height / 2 * (width / 2);
    }

    /// <summary>The latent side for an image side in pixels, as Flux rounds it: 2·⌊pixels/16⌋ (VAE ×8, then packing ×2).</summary>
    public static int LatentSize(int pixels) => 2 * (pixels / 16);

    public static void Pack(ReadOnlySpan<float> latents, int batch, int channels, int height, int width, Span<float> packed) =>
        Move(latents, packed, toPacked: true, batch, channels, height, width);

    public static void Unpack(ReadOnlySpan<float> packed, int batch, int channels, int height, int width, Span<float> latents) =>
        Move(packed, latents, toPacked: false, batch, channels, height, width);

    /// <summary>
    /// The transformer's img_ids for a latent of this size: [(H/2)·(W/2), 3], token y·(W/2) + x holding (0, y, x), the
    /// positions its rotary embedding reads (diffusers' _prepare_latent_image_ids on the packed grid).
    /// </summary>
    public static float[] ImageIds(int height, int width)
    {
        var (rows, columns) = (height / 2, width / 2);
        var ids = new float[SequenceLength(height, width) * 3];
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                var token = (y * columns) + x;
                ids[(token * 3) + 1] = y;
                ids[(token * 3) + 2] = x;
            }
        }

        return ids;
    }

    private static void Move(ReadOnlySpan<float> source, Span<float> destination, bool toPacked, int batch, int channels, int height, int width)
    {
        CheckShape(source.Length, destination.Length, batch, channels, height, width);
        var (rows, columns, features) = (height / 2, width / 2, channels * 4);
        for (var b = 0; b < batch; b++)
        {
            for (var c = 0; c < channels; c++)
            {
                var plane = ((b * channels) + c) * height * width;
                for (var y = 0; y < height; y++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        var latent = plane + (y * width) + x;
                        var patch = PackedIndex(b, y, x, c, rows, columns, features);
                        if (toPacked)
                            destination[patch] = source[latent];
                        else
                            destination[latent] = source[patch];
                    }
                }
            }
        }
    }

    // Latent pixel (y, x) of channel c lands in patch (y/2, x/2) at feature c·4 + (y mod 2)·2 + (x mod 2).
    private static int PackedIndex(int b, int y, int x, int c, int rows, int columns, int features) =>
        (((b * rows * columns) + ((y / 2) * columns) + (x / 2)) * features) + (c * 4) + ((y % 2) * 2) + (x % 2);

    private static void CheckShape(int latentLength, int packedLength, int batch, int channels, int height, int width)
    {
        CheckEven(height, width);
        var expected = batch * channels * height * width;
        if (batch < 1 || channels < 1 || latentLength != expected || packedLength != expected)
            throw new ArgumentException(
                $"A [{batch}, {channels}, {height}, {width}] latent has {expected} values; got {latentLength} unpacked and {packedLength} packed.");
    }

    private static void CheckEven(int height, int width)
    {
        if (height < 2 || width < 2 || height % 2 != 0 || width % 2 != 0)
            throw new ArgumentException($"Flux packs 2×2 patches, so the latent's sides must be even and at least 2; got {height}×{width}.");
    }
}
