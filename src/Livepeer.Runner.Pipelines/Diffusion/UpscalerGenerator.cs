using System.Numerics.Tensors;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// One request to the SD x4 upscaler. Defaults are diffusers' StableDiffusionUpscalePipeline ones, which ai-runner
/// keeps (RUNNER-CONTRACT §5.1): guidance 9.0, noise level 20, 75 steps.
/// </summary>
public sealed record UpscalerRequest(
    string Prompt,
    RgbImage Image,
    int Steps = 75,
    double GuidanceScale = 9.0,
    int NoiseLevel = 20,
    string NegativePrompt = "");

/// <summary>
/// The x4 upscaler's loop (diffusers pipeline_stable_diffusion_upscale): the low-res image, in [-1, 1], is noised to
/// <c>noise_level</c> by the low-res scheduler and sits beside the latents as 3 extra UNet channels at its own
/// resolution, with <c>class_labels</c> = noise_level; latents are denoised with guidance and decoded by the ×4 VAE.
/// Buffers are sized once per request, as in <see cref="DiffusionGenerator"/>.
/// </summary>
public sealed class UpscalerGenerator : IDisposable
{
    private const int ImageChannels = 3;

    private readonly DiffusionModel _model;
    private readonly UpscalerRequest _request;
    private readonly UpscalerParts _parts;
    private readonly SizePlan _plan;
    private readonly bool _guided;
    private readonly int _batch;
    private readonly int _height;
    private readonly int _width;
    private readonly int _latentLength;
    private readonly int _rowLength;
    private readonly float[] _lowRes;
    private readonly float[] _imageNoise;
    private readonly UnetBinding _binding;
    private readonly float[] _latents;

    public UpscalerGenerator(DiffusionModel model, UpscalerRequest request, CancellationToken cancellationToken)
    {
        if (model.Upscaler is not { } parts)
            throw new BadInputException($"Model {model.ModelId} is not a Stable Diffusion x4 upscaler.");
        // diffusers' check_inputs raises these as ValueError: ai-runner's InferenceError.
        if (request.NoiseLevel < 0 || request.NoiseLevel > parts.MaxNoiseLevel)
            throw new InferenceException($"`noise_level` has to be <= {parts.MaxNoiseLevel} but is {request.NoiseLevel}");

        _model = model;
        _request = request;
        _parts = parts;
        _guided = request.GuidanceScale > 1.0;
        _batch = _guided ? 2 : 1;
        // The low-res image is the UNet's spatial input, which halves its sides at each down block (three for the real
        // model): it is padded to the size the UNet runs (UnetSizing, in input pixels) and the output cropped to 4× the input.
        _plan = model.Sizing.Plan(request.Image.Width, request.Image.Height);
        _height = _plan.RunHeight;
        _width = _plan.RunWidth;
        var plane = _height * _width;
        var channels = model.Vae.LatentChannels;
        _latentLength = channels * plane;
        _rowLength = model.Unet.InChannels * plane;
        _lowRes = Planar(_plan.Pad(request.Image));
        _imageNoise = new float[ImageChannels * plane];
        _latents = new float[_latentLength];

        var positive = model.TextEncoder.EncodeLast(request.Prompt, cancellationToken);
        var negative = _guided ? model.TextEncoder.EncodeLast(request.NegativePrompt, cancellationToken) : positive;
        _binding = new UnetBinding(model.Unet, _batch, channels, _height, _width, positive.SequenceLength, positive.Width, 0);
        TextEmbedding[] rows = _guided ? [negative, positive] : [positive];
        for (var row = 0; row < rows.Length; row++)
            rows[row].Hidden.CopyTo(_binding.EncoderHiddenStates, row * positive.Hidden.Length);
        Array.Fill(_binding.ClassLabels!, request.NoiseLevel);
        _binding.BindConditioning();
    }

    /// <summary>How many times larger each output side is than the input's.</summary>
    public int Scale => _model.Vae.DownFactor;

    /// <summary>Upscales the request's image from <paramref name="seed"/>; the same request and seed give the same pixels.</summary>
    public RgbImage Generate(ulong seed, CancellationToken cancellationToken)
    {
        var scheduler = SchedulerFactory.Create(_model.SchedulerConfig, _model.ModelId);
        TimestepErrors.AsInferenceError(() => scheduler.SetTimesteps(_request.Steps));

        // One generator for both draws, in diffusers' order: the low-res image's noise, then the initial latents.
        var noise = new GaussianNoise(seed);
        noise.NextGaussian(_imageNoise);
        var imageSlot = _binding.Sample.AsSpan(_latentLength, _imageNoise.Length);
        _parts.LowResScheduler.AddNoiseAtTimestep(_lowRes, _imageNoise, _request.NoiseLevel, imageSlot);
        for (var row = 1; row < _batch; row++)
            imageSlot.CopyTo(_binding.Sample.AsSpan((row * _rowLength) + _latentLength));
        noise.NextGaussian(_latents);
        TensorPrimitives.Multiply(_latents, scheduler.InitNoiseSigma, _latents);

        var timesteps = scheduler.Timesteps;
        for (var step = 0; step < timesteps.Length; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var row = 0; row < _batch; row++)
                scheduler.ScaleModelInput(_latents, step, _binding.Sample.AsSpan(row * _rowLength, _latentLength));
            _binding.Run(timesteps[step], cancellationToken);
            scheduler.Step(Guide(), step, _latents, _latents, noise);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var decoded = _model.Vae.Decode(_latents, _height, _width, cancellationToken);
        return _plan.Scaled(Scale).Crop(decoded);
    }

    /// <summary>uncond + scale·(cond − uncond) into the output's first row; rows are <c>[negative, positive]</c>.</summary>
    private Span<float> Guide()
    {
        var output = _binding.Output.AsSpan();
        var first = output[.._latentLength];
        if (_guided)
            ClassifierFreeGuidance.Combine(first, output.Slice(_latentLength, _latentLength), (float)_request.GuidanceScale, first);
        return first;
    }

    /// <summary>RGB bytes → planar [-1, 1].</summary>
    private static float[] Planar(RgbImage image)
    {
        var plane = image.Width * image.Height;
        var planar = new float[ImageChannels * plane];
        var pixels = image.Pixels;
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < ImageChannels; c++)
                planar[(c * plane) + p] = (pixels[(p * 3) + c] / 127.5f) - 1f;
        }

        return planar;
    }

    public void Dispose() => _binding.Dispose();
}
