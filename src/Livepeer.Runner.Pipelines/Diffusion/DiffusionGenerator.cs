using System.Numerics.Tensors;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// Runs one request on a loaded model: text (and image) conditioning once, then one seeded denoising loop per image.
/// Buffers are sized once per request; the step loop writes into them and allocates nothing latent-sized.
/// Batch rows follow diffusers: <c>[negative, positive]</c> with guidance, instruct-pix2pix
/// <c>[text, image, uncond]</c> (MODEL-FORMATS §1.4, §2.1).
/// </summary>
public sealed class DiffusionGenerator : IImageGenerator
{
    private readonly DiffusionModel _model;
    private readonly DiffusionRequest _request;
    private readonly SchedulerConfig _schedulerConfig;
    private readonly SizePlan _plan;
    private readonly bool _guided;
    private readonly int _batch;
    private readonly int _latentHeight;
    private readonly int _latentWidth;
    private readonly int _latentLength;
    private readonly EncodedLatents? _imageLatents;
    private readonly UnetBinding _binding;
    private readonly float[] _latents;
    private readonly float[] _scaled;
    private readonly float[] _scratch;

    public DiffusionGenerator(DiffusionModel model, DiffusionRequest request, CancellationToken cancellationToken)
    {
        _model = model;
        _request = request;
        _schedulerConfig = ModelOverrides.Scheduler(model.ModelId, model.SchedulerConfig);
        if (model.Family == DiffusionFamily.Upscaler)
            throw new BadInputException($"Model {model.ModelId} is a Stable Diffusion x4 upscaler: it serves /upscale only.");
        var pix2pix = model.Family == DiffusionFamily.InstructPix2Pix;
        if (pix2pix && request.Image is null)
            throw new BadInputException($"Model {model.ModelId} is an instruct-pix2pix model: it edits an input image, so it serves /image-to-image only.");
        if (request.Image is not null && !model.Vae.CanEncode)
            throw new BadInputException($"Model {model.ModelId} has no vae_encoder, so it cannot take an input image.");

        // diffusers: guidance when guidance_scale > 1; instruct-pix2pix also needs image_guidance_scale ≥ 1.
        _guided = request.GuidanceScale > 1.0 && (!pix2pix || request.ImageGuidanceScale >= 1.0);
        _batch = !_guided ? 1 : pix2pix ? 3 : 2;
        // An image request gives back the image's size; the UNet runs at the next size it takes (UnetSizing).
        _plan = request.Image is { } input
            ? model.Sizing.Plan(input.Width, input.Height)
            : model.Sizing.Plan(request.Width, request.Height);
        _latentHeight = _plan.LatentHeight;
        _latentWidth = _plan.LatentWidth;
        var channels = model.Vae.LatentChannels;
        _latentLength = channels * _latentHeight * _latentWidth;

        var text = TextConditioning.Encode(model, request, _guided, cancellationToken);
        if (request.Image is { } image)
            _imageLatents = model.Vae.Encode(_plan.Pad(image), cancellationToken);

        _binding = new UnetBinding(model.Unet, _batch, channels, _latentHeight, _latentWidth,
            text.Positive.SequenceLength, text.Positive.Width, text.Positive.Pooled?.Length ?? 0);
        FillConditioning(text, pix2pix);
        _binding.BindConditioning();
        _latents = new float[_latentLength];
        _scaled = new float[_latentLength];
        _scratch = new float[_latentLength];
    }

    /// <summary>Generates one image from <paramref name="seed"/>; the same request and seed give the same pixels.</summary>
    /// <remarks>The image is the request's size (an input image's, for image requests), cropped from the run size.</remarks>
    public RgbImage Generate(ulong seed, CancellationToken cancellationToken)
    {
        var scheduler = SchedulerFactory.Create(_schedulerConfig, _model.ModelId);
        var imageToImage = _imageLatents is not null && _model.Family != DiffusionFamily.InstructPix2Pix;
        TimestepErrors.AsInferenceError(() => scheduler.SetTimesteps(_request.Steps, imageToImage ? _request.Strength : 1.0));

        var timesteps = scheduler.Timesteps;
        if (timesteps.Length == 0)
            throw new InferenceException(
                $"After adjusting the num_inference_steps by strength parameter: {_request.Strength}, the number of pipeline steps is {timesteps.Length} which is < 1 and not appropriate for this pipeline.");

        var noise = new GaussianNoise(seed);
        if (imageToImage)
            InitialiseFromImage(scheduler, noise);
        else
        {
            noise.NextGaussian(_latents);
            TensorPrimitives.Multiply(_latents, scheduler.InitNoiseSigma, _latents);
        }

        var rowLength = _model.Unet.InChannels * _latentHeight * _latentWidth;
        for (var step = 0; step < timesteps.Length; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scheduler.ScaleModelInput(_latents, step, _scaled);
            for (var row = 0; row < _batch; row++)
                _scaled.CopyTo(_binding.Sample.AsSpan(row * rowLength, _latentLength));
            _binding.Run(timesteps[step], cancellationToken);
            scheduler.Step(Guide(), step, _latents, _latents, noise);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return _plan.Crop(_model.Vae.Decode(_latents, _latentHeight, _latentWidth, cancellationToken));
    }

    /// <summary>Combines the UNet's rows into the guided noise prediction, in place in the output's first row.</summary>
    private Span<float> Guide()
    {
        var output = _binding.Output.AsSpan();
        var first = output[.._latentLength];
        if (_batch == 2)
            ClassifierFreeGuidance.Combine(first, output.Slice(_latentLength, _latentLength), (float)_request.GuidanceScale, first);
        else if (_batch == 3)
            ClassifierFreeGuidance.CombineImageGuided(first, output.Slice(_latentLength, _latentLength), output.Slice(2 * _latentLength, _latentLength),
                (float)_request.GuidanceScale, (float)_request.ImageGuidanceScale, first);
        return first;
    }

    /// <summary>img2img: sample the VAE posterior, scale it, and noise it to the first kept timestep (diffusers prepare_latents).</summary>
    private void InitialiseFromImage(IDiffusionScheduler scheduler, GaussianNoise noise)
    {
        _imageLatents!.Sample(noise, _scaled, _scratch);
        TensorPrimitives.Multiply(_scratch, _model.Vae.ScalingFactor, _scratch);
        noise.NextGaussian(_scaled);
        scheduler.AddNoise(_scratch, _scaled, 0, _latents);
    }

    /// <summary>Writes the rows' text conditioning (and instruct-pix2pix image latents, unscaled means) once per request.</summary>
    private void FillConditioning(TextConditioning text, bool pix2pix)
    {
        TextEmbedding[] rows = _batch switch
        {
            1 => [text.Positive],
            2 => [text.Negative, text.Positive],
            _ => [text.Positive, text.Negative, text.Negative],
        };
        var hiddenLength = text.Positive.Hidden.Length;
        for (var row = 0; row < rows.Length; row++)
        {
            rows[row].Hidden.CopyTo(_binding.EncoderHiddenStates, row * hiddenLength);
            if (_binding.TextEmbeds is { } pooled)
                rows[row].Pooled!.CopyTo(pooled, row * rows[row].Pooled!.Length);
            if (_binding.TimeIds is { } timeIds)
                TimeIds(timeIds.AsSpan(row * _model.Unet.TimeIdsLength, _model.Unet.TimeIdsLength), negative: _batch == 2 && row == 0);
        }

        if (pix2pix)
        {
            var rowLength = _model.Unet.InChannels * _latentHeight * _latentWidth;
            // The image row is [img, img, zeros]: the unconditional row sees no image.
            for (var row = 0; row < Math.Min(_batch, 2); row++)
                _imageLatents!.Mean.AsSpan(0, _latentLength).CopyTo(_binding.Sample.AsSpan((row * rowLength) + _latentLength));
        }
    }

    /// <summary>
    /// SDXL micro-conditioning: <c>[h, w, 0, 0, h, w]</c>, or with aesthetic scores <c>[h, w, 0, 0, 6.0 | 2.5]</c>, for
    /// the canvas the UNet denoises (the run size), which is what diffusers passes for the size it generates.
    /// </summary>
    private void TimeIds(Span<float> destination, bool negative)
    {
        float height = _plan.RunHeight, width = _plan.RunWidth;
        ReadOnlySpan<float> values = destination.Length == 5
            ? [height, width, 0, 0, negative ? 2.5f : 6.0f]
            : [height, width, 0, 0, height, width];
        values.CopyTo(destination);
    }

    public void Dispose() => _binding.Dispose();
}
