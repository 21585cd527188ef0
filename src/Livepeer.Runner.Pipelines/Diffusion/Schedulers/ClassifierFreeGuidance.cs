using System.Numerics.Tensors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>The guidance combines applied to the denoiser's outputs before each scheduler step, in place and vectorised.</summary>
public static class ClassifierFreeGuidance
{
    /// <summary>destination = uncond + scale·(cond − uncond). The destination may be either input.</summary>
    public static void Combine(ReadOnlySpan<float> uncond, ReadOnlySpan<float> cond, float scale, Span<float> destination)
    {
        if (destination.Overlaps(uncond))
        {
            // uncond·(1 − scale) + scale·cond, so uncond is read before it is overwritten.
            TensorPrimitives.Multiply(uncond, 1 - scale, destination);
            TensorPrimitives.MultiplyAdd(cond, scale, destination, destination);
            return;
        }

        TensorPrimitives.Subtract(cond, uncond, destination);
        TensorPrimitives.MultiplyAdd(destination, scale, uncond, destination);
    }

    /// <summary>
    /// instruct-pix2pix's dual guidance: uncond + g·(text − image) + ig·(image − uncond)
    /// = (1 − ig)·uncond + (ig − g)·image + g·text. The destination may be any of the inputs.
    /// </summary>
    public static void CombineImageGuided(
        ReadOnlySpan<float> text, ReadOnlySpan<float> image, ReadOnlySpan<float> uncond, float scale, float imageScale, Span<float> destination)
    {
        if (destination.Overlaps(image) || destination.Overlaps(uncond))
            throw new ArgumentException("The destination may alias the text output only.", nameof(destination));
        TensorPrimitives.Multiply(text, scale, destination);
        TensorPrimitives.MultiplyAdd(image, imageScale - scale, destination, destination);
        TensorPrimitives.MultiplyAdd(uncond, 1 - imageScale, destination, destination);
    }
}
