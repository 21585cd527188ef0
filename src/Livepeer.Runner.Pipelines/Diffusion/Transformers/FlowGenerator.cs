using System.Numerics.Tensors;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Flux;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// Runs one request on a Flux or SD3 model: text (and image) conditioning once, then one seeded flow-matching loop per
/// image (diffusers' FluxPipeline / StableDiffusion3Pipeline and their img2img variants). Flux packs the latent into
/// 2×2-patch tokens for every step and unpacks the velocity; FLUX.1-dev gets the guidance scale as an input, schnell
/// none, and neither runs a guidance batch. SD3 runs classifier-free guidance, rows <c>[negative, positive]</c>, when
/// the scale is above 1. The latent goes to the VAE as z/scaling + shift.
/// </summary>
public sealed class FlowGenerator : IImageGenerator
{
    private readonly TransformerDiffusionModel _model;
    private readonly DiffusionRequest _request;
    private readonly SizePlan _plan;
    private readonly bool _guided;
    private readonly int _channels;
    private readonly int _latentHeight;
    private readonly int _latentWidth;
    private readonly int _latentLength;
    private readonly EncodedLatents? _imageLatents;
    private readonly TransformerBinding _binding;
    private readonly float[] _latents;
    private readonly float[] _velocity;
    private readonly float[] _scratch;

    public FlowGenerator(TransformerDiffusionModel model, DiffusionRequest request, CancellationToken cancellationToken)
    {
        _model = model;
        _request = request;
        if (request.Image is not null && !model.Vae.CanEncode)
            throw new BadInputException($"Model {model.ModelId} has no vae_encoder, so it cannot take an input image.");
        var flux = model.Family == TransformerFamily.Flux;
        _guided = !flux && request.GuidanceScale > 1.0;
        _plan = request.Image is { } input ? model.Sizing.Plan(input.Width, input.Height) : model.Sizing.Plan(request.Width, request.Height);
        (_latentHeight, _latentWidth) = (_plan.LatentHeight, _plan.LatentWidth);
        _channels = model.Vae.LatentChannels;
        _latentLength = _channels * _latentHeight * _latentWidth;

        var positive = flux
            ? TransformerTextConditioning.Flux(model, request.Prompts, cancellationToken)
            : TransformerTextConditioning.StableDiffusion3(model, request.Prompts, cancellationToken);
        var negative = _guided ? TransformerTextConditioning.StableDiffusion3(model, request.NegativePrompts, cancellationToken) : null;
        if (request.Image is { } image)
            _imageLatents = model.Vae.Encode(_plan.Pad(image), cancellationToken);

        var batch = _guided ? 2 : 1;
        long[] sampleShape = flux
            ? [batch, FluxLatents.SequenceLength(_latentHeight, _latentWidth), _channels * 4]
            : [batch, _channels, _latentHeight, _latentWidth];
        _binding = new TransformerBinding(model.Transformer, sampleShape, positive.SequenceLength, positive.Width, positive.Pooled!.Length,
            flux ? FluxLatents.ImageIds(_latentHeight, _latentWidth) : null);
        TextEmbedding[] rows = negative is null ? [positive] : [negative, positive];
        for (var row = 0; row < rows.Length; row++)
        {
            rows[row].Hidden.CopyTo(_binding.EncoderHiddenStates, row * positive.Hidden.Length);
            rows[row].Pooled!.CopyTo(_binding.PooledProjections, row * positive.Pooled.Length);
        }

        if (_binding.Guidance is { } guidance)
            Array.Fill(guidance, (float)request.GuidanceScale);
        _binding.BindConditioning();
        _latents = new float[_latentLength];
        _velocity = new float[_latentLength];
        _scratch = new float[_latentLength];
    }

    /// <summary>The image is the request's size (an input image's, for image requests), cropped from the run size.</summary>
    public RgbImage Generate(ulong seed, CancellationToken cancellationToken)
    {
        var scheduler = Schedule();
        var timesteps = scheduler.Timesteps;
        var noise = new GaussianNoise(seed);
        if (_imageLatents is { } image)
        {
            // diffusers: (z − shift)·scaling of a posterior draw, noised to the first kept σ (scale_noise).
            image.Sample(noise, _velocity, _scratch);
            TensorPrimitives.Subtract(_scratch, _model.Vae.ShiftFactor, _scratch);
            TensorPrimitives.Multiply(_scratch, _model.Vae.ScalingFactor, _scratch);
            noise.NextGaussian(_velocity);
            scheduler.AddNoise(_scratch, _velocity, 0, _latents);
        }
        else
        {
            noise.NextGaussian(_latents); // σ starts at 1: the first latent is unit noise
        }

        var flux = _model.Family == TransformerFamily.Flux;
        for (var step = 0; step < timesteps.Length; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (flux)
                FluxLatents.Pack(_latents, 1, _channels, _latentHeight, _latentWidth, _binding.Sample);
            else
            {
                for (var row = 0; row < (_guided ? 2 : 1); row++)
                    _latents.CopyTo(_binding.Sample.AsSpan(row * _latentLength));
            }

            // Flux's transformer takes t/1000 (it multiplies by 1000 itself); SD3's takes the timestep as it is.
            _binding.Run(flux ? timesteps[step] / 1000f : timesteps[step], cancellationToken);
            scheduler.Step(Velocity(flux), step, _latents, _latents, noise);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return _plan.Crop(_model.Vae.Decode(_latents, _latentHeight, _latentWidth, cancellationToken));
    }

    /// <summary>
    /// The schedule for this request: the Flux pipelines pass σ = linspace(1, 1/n, n) and the resolution's μ (used
    /// when the config shifts dynamically, as dev's does); SD3 uses the scheduler's own grid, and μ too when its config
    /// asks for dynamic shifting. Image requests skip the first steps by strength.
    /// </summary>
    private FlowMatchEulerScheduler Schedule()
    {
        var config = _model.SchedulerConfig;
        var scheduler = new FlowMatchEulerScheduler(config);
        double? mu = config.UseDynamicShifting ? FlowMatchShift.Mu(config, FluxLatents.SequenceLength(_latentHeight, _latentWidth)) : null;
        var grid = _model.Family == TransformerFamily.Flux ? FlowSigmaGrid.Flux : FlowSigmaGrid.TrainingRange;
        TimestepErrors.AsInferenceError(() => scheduler.SetTimesteps(_request.Steps, grid, mu, _request.Image is null ? 1.0 : _request.Strength));

        return scheduler;
    }

    /// <summary>The step's velocity as a latent: Flux's unpacked, SD3's guided (in place in the output's first row).</summary>
    private ReadOnlySpan<float> Velocity(bool flux)
    {
        if (flux)
        {
            FluxLatents.Unpack(_binding.Output, 1, _channels, _latentHeight, _latentWidth, _velocity);
            return _velocity;
        }

        var output = _binding.Output.AsSpan();
        var first = output[.._latentLength];
        if (_guided)
            ClassifierFreeGuidance.Combine(first, output.Slice(_latentLength, _latentLength), (float)_request.GuidanceScale, first);
        return first;
    }

    public void Dispose() => _binding.Dispose();
}
