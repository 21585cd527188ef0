using System.Numerics.Tensors;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// diffusers' <c>decode_latents</c> for the temporal VAE: the frames' latents (flattened <c>[frames, channels, h, w]</c>)
/// divided by the scaling factor, decoded <paramref name="chunk"/> frames per call, each call a video of its own
/// (<c>num_frames</c> = the frames in that call), so the decoder's memory is that of one chunk. A decoder exported
/// with <c>num_frames</c> baked in (no such input, MODEL-FORMATS §3) must get exactly its frame count every call: the
/// graph's fixed batch axis when it has one, else <paramref name="chunk"/>; a short last chunk is then padded with
/// its last frame and the extra outputs dropped.
/// </summary>
public static class FrameDecode
{
    public static List<RgbImage> Decode(DiffusionVae vae, ReadOnlySpan<float> latents, int frames, int latentHeight, int latentWidth, int chunk, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        var frameLength = vae.LatentChannels * latentHeight * latentWidth;
        var scaled = new float[frames * frameLength];
        TensorPrimitives.Divide(latents[..scaled.Length], vae.ScalingFactor, scaled);
        var perCall = !vae.TakesNumFrames && vae.FixedBatchFrames > 0 ? vae.FixedBatchFrames : chunk;
        var decoded = new List<RgbImage>(frames);
        for (var first = 0; first < frames; first += perCall)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(perCall, frames - first);
            var batch = scaled.AsSpan(first * frameLength, count * frameLength);
            if (vae.TakesNumFrames || count == perCall)
            {
                vae.DecodeBatch(batch, count, latentHeight, latentWidth, count, decoded, cancellationToken);
                continue;
            }

            var padded = new float[perCall * frameLength];
            batch.CopyTo(padded);
            for (var f = count; f < perCall; f++)
                batch[^frameLength..].CopyTo(padded.AsSpan(f * frameLength));
            var chunkFrames = new List<RgbImage>(perCall);
            vae.DecodeBatch(padded, perCall, latentHeight, latentWidth, perCall, chunkFrames, cancellationToken);
            decoded.AddRange(chunkFrames.Take(count));
        }

        return decoded;
    }
}
