using System.Numerics.Tensors;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Video;

/// <summary>
/// One Stable Video Diffusion generation (diffusers' StableVideoDiffusionPipeline.__call__, MODEL-FORMATS §3), built
/// once and then stepped: the CLIP image embedding (negative: zeros); the input resized to the request's size (PIL
/// Lanczos, as diffusers' VideoProcessor), padded to the run size, noise-augmented (image + noise_aug_strength·ε,
/// the seed's first draws) and VAE-encoded to its mean, unscaled (negative: zeros), repeated over the frames as the
/// UNet's channels 4–7; the frames' noise latents (the next draws) times the initial σ. Each step scales the latents,
/// runs the UNet on both guidance rows, guides every frame with its own scale (<see cref="GuidanceRamp"/>) and takes
/// the scheduler's step (Euler, v-prediction, Karras σ, continuous timesteps from the model's config).
/// </summary>
public sealed class VideoGenerator : IDisposable
{
    private readonly VideoModel _model;
    private readonly VideoRequest _request;
    private readonly SizePlan _plan;
    private readonly IDiffusionScheduler _scheduler;
    private readonly GaussianNoise _noise;
    private readonly UnetBinding _binding;
    private readonly float[] _guidance;
    private readonly float[] _latents;
    private readonly float[] _scaled;
    private readonly int _frames;
    private readonly int _rows;
    private readonly int _latentLength;

    public VideoGenerator(VideoModel model, VideoRequest request, ulong seed, CancellationToken cancellationToken)
    {
        _model = model;
        _request = request;
        _frames = model.Frames;
        _plan = model.Sizing.Plan(request.Width, request.Height);
        _scheduler = SchedulerFactory.Create(model.SchedulerConfig, model.ModelId);
        _scheduler.SetTimesteps(request.Steps);
        _guidance = GuidanceRamp.Scales(_frames);
        _rows = GuidanceRamp.IsGuided(_guidance) ? 2 : 1;
        _noise = new GaussianNoise(seed);
        var channels = model.Vae.LatentChannels;
        _latentLength = channels * _plan.LatentHeight * _plan.LatentWidth;

        var embedding = model.ImageEncoder.Embed(request.Image, cancellationToken);
        var imageLatents = EncodeImage(cancellationToken);
        _binding = new UnetBinding(model.Unet, _rows, channels, _plan.LatentHeight, _plan.LatentWidth, 1, embedding.Length, 0, _frames);
        try
        {
            FillConditioning(embedding, imageLatents);
            _binding.BindConditioning();
        }
        catch
        {
            _binding.Dispose();
            throw;
        }

        _latents = new float[_frames * _latentLength];
        _noise.NextGaussian(_latents);
        TensorPrimitives.Multiply(_latents, _scheduler.InitNoiseSigma, _latents);
        _scaled = new float[_latents.Length];
    }

    /// <summary>Steps the schedule has (the request's num_inference_steps).</summary>
    public int Steps => _scheduler.Timesteps.Length;

    public int Frames => _frames;

    /// <summary>Runs step <paramref name="step"/> (0, 1, 2… in order).</summary>
    public void Step(int step, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _scheduler.ScaleModelInput(_latents, step, _scaled);
        var sample = _binding.Sample;
        var slot = _model.Unet.InChannels * _plan.LatentHeight * _plan.LatentWidth;
        for (var row = 0; row < _rows; row++)
        {
            for (var f = 0; f < _frames; f++)
                _scaled.AsSpan(f * _latentLength, _latentLength).CopyTo(sample.AsSpan(((row * _frames) + f) * slot));
        }

        _binding.Run(_scheduler.Timesteps[step], cancellationToken);
        var output = _binding.Output.AsSpan();
        var videoLength = _frames * _latentLength;
        if (_rows == 2)
        {
            // Row 0 is the unconditional prediction, row 1 the image-conditioned one; frame f guided by its own scale.
            for (var f = 0; f < _frames; f++)
            {
                var uncond = output.Slice(f * _latentLength, _latentLength);
                ClassifierFreeGuidance.Combine(uncond, output.Slice(videoLength + (f * _latentLength), _latentLength), _guidance[f], uncond);
            }
        }

        _scheduler.Step(output[..videoLength], step, _latents, _latents, _noise);
    }

    /// <summary>The frames at the request's size, decoded <see cref="VideoRequest.DecodeChunk"/> at a time (<see cref="FrameDecode"/>).</summary>
    public IReadOnlyList<RgbImage> Decode(CancellationToken cancellationToken) =>
        [.. FrameDecode.Decode(_model.Vae, _latents, _frames, _plan.LatentHeight, _plan.LatentWidth, _request.DecodeChunk, cancellationToken).Select(_plan.Crop)];

    /// <summary>The latents after the steps run so far, <c>[frames, channels, h, w]</c> (for tests of the decode).</summary>
    internal ReadOnlySpan<float> Latents => _latents;

    internal int LatentHeight => _plan.LatentHeight;

    internal int LatentWidth => _plan.LatentWidth;

    private float[] EncodeImage(CancellationToken cancellationToken)
    {
        var image = _request.Image;
        var resized = image.Width == _request.Width && image.Height == _request.Height
            ? image
            : PilResize.Resize(image, _request.Width, _request.Height, PilFilter.Lanczos);
        var planar = _model.Vae.ToPlanar(_plan.Pad(resized));
        var noise = new float[planar.Length];
        _noise.NextGaussian(noise);
        TensorPrimitives.MultiplyAdd(noise, (float)_request.NoiseAugStrength, planar, planar);
        return _model.Vae.EncodePlanar(planar, _plan.RunWidth, _plan.RunHeight, cancellationToken).Mean;
    }

    /// <summary>The guided row (the last) gets the embedding and the image latents; the unconditional row keeps zeros. Both get the time ids.</summary>
    private void FillConditioning(float[] embedding, float[] imageLatents)
    {
        var guided = _rows - 1;
        embedding.CopyTo(_binding.EncoderHiddenStates, guided * embedding.Length);
        var timeIds = _request.AddedTimeIds;
        for (var row = 0; row < _rows; row++)
            timeIds.CopyTo(_binding.AddedTimeIds!, row * timeIds.Length);

        var slot = _model.Unet.InChannels * _plan.LatentHeight * _plan.LatentWidth;
        for (var f = 0; f < _frames; f++)
            imageLatents.AsSpan(0, _latentLength).CopyTo(_binding.Sample.AsSpan((((guided * _frames) + f) * slot) + _latentLength));
    }

    public void Dispose() => _binding.Dispose();
}
