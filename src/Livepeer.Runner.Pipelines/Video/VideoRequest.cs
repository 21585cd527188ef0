using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// One image-to-video generation as the model runs it: the decoded input <paramref name="Image"/> (any size; it is
/// resized to <paramref name="Width"/>×<paramref name="Height"/> for the VAE, and seen whole by the image encoder),
/// the micro-conditioning (<paramref name="Fps"/> is the request's, the UNet gets fps − 1), the steps, and
/// <paramref name="DecodeChunk"/>, the frames the VAE decodes at once.
/// </summary>
public sealed record VideoRequest(
    RgbImage Image,
    int Width,
    int Height,
    double Fps,
    double MotionBucketId,
    double NoiseAugStrength,
    int Steps,
    int DecodeChunk = 4)
{
    /// <summary>diffusers' <c>_get_add_time_ids</c> with the pipeline's "conditioned on fps − 1".</summary>
    public float[] AddedTimeIds => [(float)(Fps - 1), (float)MotionBucketId, (float)NoiseAugStrength];
}
