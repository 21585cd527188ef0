using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>/image-to-text: decode the upload (a bad image is a 400 before any model is touched), then caption it under a lease.</summary>
public sealed class ImageToTextPipeline(ModelManager models, RunnerSettings settings)
{
    public async Task<string> RunAsync(LeaseRequest model, byte[] imageBytes, string prompt, CancellationToken cancellationToken)
    {
        var image = ImageDecoder.Decode(imageBytes, settings.MaxImagePixels);
        using var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        return await lease.Get<BlipModel>().CaptionAsync(image, prompt, cancellationToken).ConfigureAwait(false);
    }
}
