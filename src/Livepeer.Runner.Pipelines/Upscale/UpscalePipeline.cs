using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>/upscale: decode the upload, run the model under a lease, encode the PNG reply.</summary>
public sealed class UpscalePipeline(ModelManager models, RunnerSettings settings)
{
    /// <summary>
    /// Runs one request. The image is decoded and checked before the model is touched; with
    /// <paramref name="safetyCheck"/> and a model that ships a checker, a flagged output is blacked out.
    /// </summary>
    public async Task<UpscaleOutput> RunAsync(LeaseRequest model, byte[] imageBytes, UpscaleParameters parameters, bool safetyCheck, CancellationToken cancellationToken)
    {
        var input = ImageDecoder.Decode(imageBytes, settings.MaxImagePixels);

        using var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        var engine = lease.Get<IUpscaleEngine>();
        var outputPixels = input.PixelCount * engine.Scale * engine.Scale;
        if (outputPixels > settings.UpscaleMaxOutputPixels)
            throw new BadInputException(
                $"Upscaling a {input.Width}x{input.Height} image {engine.Scale}x gives {outputPixels} pixels; this runner returns at most {settings.UpscaleMaxOutputPixels}.");

        // The x4 upscaler's UNet runs at the input's resolution with self-attention over it (1/8 of each side for the
        // real model), so its memory grows with the square of the input's pixels: a large input would not fit.
        if (engine is DiffusionUpscaler && input.PixelCount > settings.X4UpscalerMaxInputPixels)
            throw new BadInputException(
                $"The x4 upscaler takes images of at most {settings.X4UpscalerMaxInputPixels} pixels (RUNNER_X4_UPSCALER_MAX_INPUT_PIXELS); this one is {input.Width}x{input.Height}.");

        var output = await engine.UpscaleAsync(input, parameters, cancellationToken).ConfigureAwait(false);
        var checker = safetyCheck ? engine.SafetyChecker : null;
        var nsfw = checker?.Check(output, cancellationToken) ?? false;
        return new UpscaleOutput(PngEncoder.Encode(output, settings.PngCompressionLevel), output.Width, output.Height, nsfw, checker is not null || !safetyCheck);
    }
}

/// <param name="Checked">Whether the reply's <paramref name="Nsfw"/> is a checker's verdict (or no check was asked for).</param>
public sealed record UpscaleOutput(byte[] Png, int Width, int Height, bool Nsfw, bool Checked);
