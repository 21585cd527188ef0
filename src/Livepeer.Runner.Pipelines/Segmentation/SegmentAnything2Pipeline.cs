using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>/segment-anything-2: the upload and its parsed prompt on the model, under a lease. Decoding is the model's, so a cached image is not decoded again.</summary>
public sealed class SegmentAnything2Pipeline(ModelManager models, RunnerSettings settings)
{
    public async Task<SegmentationResult> RunAsync(LeaseRequest model, byte[] imageFile, SegmentationPrompt prompt, CancellationToken cancellationToken)
    {
        using var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        return await lease.Get<SegmentationModel>().SegmentAsync(imageFile, settings.MaxImagePixels, prompt, cancellationToken).ConfigureAwait(false);
    }
}
