using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Diffusion.Transformers;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>A request to /text-to-image or /image-to-image as the route received it, before the per-model overrides.</summary>
public sealed record DiffusionInput(
    IReadOnlyList<string> Prompts,
    IReadOnlyList<string> NegativePrompts,
    long Width,
    long Height,
    double GuidanceScale,
    long Steps,
    string Loras,
    double Strength = 1.0,
    double ImageGuidanceScale = 1.5,
    byte[]? Image = null,
    bool SafetyCheck = false);

/// <summary>One generated image, the seed it came from, and whether the safety checker flagged (and blacked out) it.</summary>
public sealed record GeneratedImage(byte[] Png, long Seed, bool Nsfw = false);

/// <summary>
/// The images of one request. <paramref name="HasSafetyChecker"/>: the model has a safety checker, so with
/// <see cref="DiffusionInput.SafetyCheck"/> every <see cref="GeneratedImage.Nsfw"/> is the checker's verdict.
/// </summary>
public sealed record DiffusionOutput(IReadOnlyList<GeneratedImage> Images, bool HasSafetyChecker);

/// <summary>
/// /text-to-image and /image-to-image: checks the request, applies ai-runner's per-model overrides, runs the model
/// under a lease, and encodes PNGs. Image i of a request uses seed + i, generated one after another. With
/// <see cref="DiffusionInput.SafetyCheck"/> and a model that has a safety checker, each image goes through it before
/// encoding, and flagged ones come back black (diffusers' behaviour). UNet models run on <see cref="DiffusionGenerator"/>,
/// Flux and SD3 on <see cref="FlowGenerator"/>.
/// </summary>
public sealed class DiffusionPipeline(ModelManager models, RunnerSettings settings, ModelLocator locator, ILoraSource loras)
{
    public async Task<DiffusionOutput> RunAsync(LeaseRequest model, DiffusionInput input, long seed, int count, CancellationToken cancellationToken)
    {
        if (count <= 0)
            return new DiffusionOutput([], HasSafetyChecker: false);
        if (count > settings.MaxImagesPerRequest)
            throw new BadInputException($"num_images_per_prompt is {count}; this runner makes at most {settings.MaxImagesPerRequest} images a request (RUNNER_MAX_IMAGES_PER_REQUEST).");
        var adapters = await LoraRequest.ResolveAsync(input.Loras, loras, cancellationToken).ConfigureAwait(false);
        // An upload of any size is edited at its own size: the generator pads it to a size the UNet runs and crops back.
        var image = input.Image is { } bytes ? ImageDecoder.Decode(bytes, settings.MaxImagePixels) : null;
        var width = image?.Width ?? input.Width;
        var height = image?.Height ?? input.Height;
        if (image is null)
            CheckSize(width, height);

        // Images are generated one after another, each with its guidance batch (pix2pix's is three, SD3's two, Flux's one).
        var activations = TransformerShape(model) is ( > 0 and var rows, var heads)
            ? DiffusionEngine.TransformerActivationFor(width, height, rows, heads)
            : DiffusionEngine.ActivationFor(width, height, image is null ? 2 : 3);
        using var lease = await models.AcquireAsync(model with { ActivationBytes = activations }, cancellationToken).ConfigureAwait(false);
        var (generator, checker) = lease.Model is TransformerDiffusionModel
            ? (Transformer(lease.WithLoras<TransformerDiffusionModel>(adapters, cancellationToken), input, image, cancellationToken), null)
            : Unet(lease.WithLoras<DiffusionModel>(adapters, cancellationToken), input, image, cancellationToken);
        using (generator)
        {
            var check = input.SafetyCheck ? checker : null;
            var images = new List<GeneratedImage>(count);
            for (var i = 0; i < count; i++)
            {
                var output = generator.Generate(unchecked((ulong)(seed + i)), cancellationToken);
                var nsfw = check?.Check(output, cancellationToken) ?? false;
                images.Add(new GeneratedImage(PngEncoder.Encode(output, settings.PngCompressionLevel), seed + i, nsfw));
            }

            return new DiffusionOutput(images, checker is not null);
        }
    }

    private static (IImageGenerator Generator, SafetyChecker? Checker) Unet(DiffusionModel engine, DiffusionInput input, RgbImage? image, CancellationToken cancellationToken)
    {
        var modelId = engine.ModelId;
        // diffusers' default when num_inference_steps is omitted: 100 for instruct-pix2pix, 50 for the others.
        var steps = ModelOverrides.Steps(modelId, input.Steps, engine.Family == DiffusionFamily.InstructPix2Pix ? 100 : 50);
        // The request's own count (before the 10,000 clamp), unless the model overrides it (SDXL-Lightning).
        CheckSteps(ModelOverrides.IsLightning(modelId) ? steps : Math.Max(steps, input.Steps), engine.SchedulerConfig.NumTrainTimesteps);
        var request = new DiffusionRequest(
            input.Prompts, input.NegativePrompts, (int)input.Width, (int)input.Height,
            ModelOverrides.GuidanceScale(modelId, input.GuidanceScale), steps,
            ModelOverrides.Strength(modelId, input.Strength, steps), input.ImageGuidanceScale, image);
        return (new DiffusionGenerator(engine, request, cancellationToken), engine.SafetyChecker);
    }

    /// <summary>
    /// Flux and SD3: the model's default steps when the request gives none (schnell 4, dev and SD3 28); the contract
    /// drops the negative prompt for Flux; optimum exports no safety checker for these pipelines.
    /// </summary>
    private static IImageGenerator Transformer(TransformerDiffusionModel engine, DiffusionInput input, RgbImage? image, CancellationToken cancellationToken)
    {
        var steps = ModelOverrides.Steps(engine.ModelId, input.Steps, engine.DefaultSteps);
        var negative = engine.Family == TransformerFamily.Flux ? [] : input.NegativePrompts;
        var request = new DiffusionRequest(input.Prompts, negative, (int)input.Width, (int)input.Height, input.GuidanceScale, steps, input.Strength, Image: image);
        return new FlowGenerator(engine, request, cancellationToken);
    }

    /// <summary>
    /// A diffusion transformer's guidance rows a step (SD3 2, Flux 1) and attention heads, told from the model's folder
    /// before it loads, for the admission estimate; no rows for a UNet model. A folder the lease cannot load gives no
    /// rows or the default heads: the lease reports the problem.
    /// </summary>
    private (int Rows, int Heads) TransformerShape(LeaseRequest model)
    {
        string folder;
        try
        {
            folder = locator.Locate(model.Entry);
        }
        catch (ModelLoadException)
        {
            return (0, 0);
        }

        if (!TransformerDiffusionModel.IsTransformerFolder(folder))
            return (0, 0);
        var rows = TransformerDiffusionModel.IsSd3Folder(folder) ? 2 : 1;
        try
        {
            return (rows, TransformerDiffusionModel.AttentionHeadsOf(folder));
        }
        catch (Exception e) when (ModelFolderJson.IsUnreadable(e))
        {
            return (rows, TransformerDiffusionModel.DefaultHeads);
        }
    }

    /// <summary>diffusers' set_timesteps refuses more steps than the scheduler was trained with (a ValueError: ai-runner's 400).</summary>
    private static void CheckSteps(long steps, int trainTimesteps)
    {
        if (steps > trainTimesteps)
            throw new InferenceException(
                $"`num_inference_steps`: {steps} cannot be larger than `self.config.train_timesteps`: {trainTimesteps} as the unet model trained with this scheduler can only handle maximal {trainTimesteps} timesteps.");
    }

    /// <summary>
    /// Text-to-image: diffusers' check_inputs (sides divisible by 8; a ValueError, so ai-runner's 400 "Error during model
    /// execution"), and this runner's pixel limit on the requested size. Any multiple of 8 is then served, whatever the
    /// UNet's own factor (<see cref="UnetSizing"/>).
    /// </summary>
    private void CheckSize(long width, long height)
    {
        if (height % 8 != 0 || width % 8 != 0 || height <= 0 || width <= 0)
            throw new InferenceException($"`height` and `width` have to be divisible by 8 but are {height} and {width}.");
        if (width * height > settings.MaxImagePixels)
            throw new BadInputException($"A {width}x{height} image has {width * height} pixels; this runner generates at most {settings.MaxImagePixels}.");
    }
}
