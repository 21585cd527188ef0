namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// Stable Video Diffusion's classifier-free guidance scale per frame: <c>torch.linspace(min_guidance_scale,
/// max_guidance_scale, num_frames)</c>, so the first frame (the conditioning image itself) is barely guided and the
/// last the most. ai-runner passes neither bound, so the diffusers defaults hold.
/// </summary>
public static class GuidanceRamp
{
    public const double MinScale = 1.0;

    public const double MaxScale = 3.0;

    public static float[] Scales(int frames, double min = MinScale, double max = MaxScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        var scales = new float[frames];
        var step = frames > 1 ? (max - min) / (frames - 1) : 0;
        for (var f = 0; f < frames; f++)
            scales[f] = (float)(f == frames - 1 && frames > 1 ? max : min + (step * f));
        return scales;
    }

    /// <summary>diffusers guides when the largest scale is above 1.</summary>
    public static bool IsGuided(ReadOnlySpan<float> scales)
    {
        foreach (var scale in scales)
        {
            if (scale > 1)
                return true;
        }

        return false;
    }
}
