using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>Which pipeline a diffusers folder is, told from its files and graphs.</summary>
public enum DiffusionFamily
{
    /// <summary>SD1.5-style: one CLIP encoder, <c>last_hidden_state</c> conditioning.</summary>
    StableDiffusion,

    /// <summary>SDXL-style: two encoders, penultimate hidden states, pooled <c>text_embeds</c> and <c>time_ids</c>.</summary>
    StableDiffusionXl,

    /// <summary>instruct-pix2pix: an 8-channel UNet taking the input image's latents beside the noisy ones.</summary>
    InstructPix2Pix,

    /// <summary>The SD x4 upscaler: a 7-channel UNet taking the noised low-res RGB image and its noise level as <c>class_labels</c>.</summary>
    Upscaler,
}

/// <summary>
/// What only the x4 upscaler carries (MODEL-FORMATS §2.2): the scheduler that noises the low-res image
/// (<c>low_res_scheduler/</c>, DDPM) and the largest noise level the pipeline accepts (<c>max_noise_level</c>).
/// </summary>
public sealed record UpscalerParts(DdpmScheduler LowResScheduler, int MaxNoiseLevel);

/// <summary>
/// A diffusers/optimum folder (MODEL-FORMATS §1.1) loaded as one unit: text encoder(s) with their tokenizers, UNet, VAE
/// decoder and encoder, and the scheduler config. All sessions open in parallel. One generation runs at a time on a
/// model: the model manager's lease holds the turn (<see cref="DiffusionEngine.Concurrency"/>).
/// </summary>
public sealed class DiffusionModel : IDisposable, ILoraTarget
{
    private DiffusionModel(string modelId, DiffusionFamily family, ClipTextEncoder textEncoder, ClipTextEncoder? textEncoder2,
        UnetModel unet, DiffusionVae vae, SchedulerConfig scheduler, bool forceZerosForEmptyPrompt, UpscalerParts? upscaler,
        SafetyChecker? safetyChecker, UnetSizing sizing)
    {
        ModelId = modelId;
        Family = family;
        TextEncoder = textEncoder;
        TextEncoder2 = textEncoder2;
        Unet = unet;
        Vae = vae;
        SchedulerConfig = scheduler;
        ForceZerosForEmptyPrompt = forceZerosForEmptyPrompt;
        Upscaler = upscaler;
        SafetyChecker = safetyChecker;
        Sizing = sizing;
    }

    public string ModelId { get; }

    public DiffusionFamily Family { get; }

    public ClipTextEncoder TextEncoder { get; }

    public ClipTextEncoder? TextEncoder2 { get; }

    public UnetModel Unet { get; }

    public DiffusionVae Vae { get; }

    public SchedulerConfig SchedulerConfig { get; }

    /// <summary>SDXL's <c>force_zeros_for_empty_prompt</c> (model_index.json, default true): no negative prompt ⇒ zero embeddings.</summary>
    public bool ForceZerosForEmptyPrompt { get; }

    /// <summary>Set for <see cref="DiffusionFamily.Upscaler"/> only.</summary>
    public UpscalerParts? Upscaler { get; }

    /// <summary>
    /// <c>safety_checker/model.onnx</c> when the folder has one (only the legacy diffusers script exports it; optimum
    /// never does), with <c>feature_extractor/preprocessor_config.json</c> for its CLIP preprocessing; otherwise null.
    /// </summary>
    public SafetyChecker? SafetyChecker { get; }

    /// <summary>The sizes the UNet runs (read from <c>unet/config.json</c> and the graph); other sizes are padded or cropped to them.</summary>
    public UnetSizing Sizing { get; }

    /// <summary>The LoRA adapter sets built on this model (<see cref="LoraSets"/>), disposed with it.</summary>
    public LoraSets Loras { get; private init; } = null!;

    /// <summary>This model with a LoRA adapter set's branch sessions for the text encoders and UNet it patches.</summary>
    public ILoraTarget WithSessions(IReadOnlyDictionary<LoraComponent, LoraSession> patched)
    {
        var textEncoder = patched.TryGetValue(LoraComponent.TextEncoder, out var te) ? new ClipTextEncoder(ModelId, te.Session, TextEncoder.Tokenizer, te.Inputs) : TextEncoder;
        var textEncoder2 = patched.TryGetValue(LoraComponent.TextEncoder2, out var te2) ? new ClipTextEncoder(ModelId, te2.Session, TextEncoder2!.Tokenizer, te2.Inputs) : TextEncoder2;
        var unet = patched.TryGetValue(LoraComponent.Unet, out var u) ? new UnetModel(ModelId, u.Session, u.Inputs) : Unet;
        return new DiffusionModel(ModelId, Family, textEncoder, textEncoder2, unet, Vae, SchedulerConfig, ForceZerosForEmptyPrompt, Upscaler, SafetyChecker, Sizing) { Loras = Loras };
    }

    /// <param name="loraSingleCopy">RUNNER_LORA_SINGLE_COPY for this model's <see cref="LoraSets"/>.</param>
    /// <summary>Closes a text encoder's or the UNet's session, which its LoRA branch session replaces from now on (single-copy mode).</summary>
    public void ReleaseBaseSession(LoraComponent component)
    {
        if (component == LoraComponent.TextEncoder)
            TextEncoder.Dispose();
        else if (component == LoraComponent.TextEncoder2)
            TextEncoder2?.Dispose();
        else if (component == LoraComponent.Unet)
            Unet.Dispose();
    }

    public static async Task<DiffusionModel> LoadAsync(string modelId, string folder, OnnxSessionFactory sessions, int vaeTileLatents = 0, bool loraSingleCopy = false)
    {
        if (!File.Exists(Path.Combine(folder, "model_index.json")))
            throw new ModelLoadException(modelId, $"Model folder of {modelId} has no model_index.json; expected a diffusers/optimum ONNX export.");
        var index = ReadJson(Path.Combine(folder, "model_index.json"));
        var schedulerConfig = SchedulerConfigReader.Load(Path.Combine(folder, "scheduler", "scheduler_config.json"), modelId);
        _ = SchedulerFactory.CreateForUnet(schedulerConfig, modelId); // refuse an unsupported scheduler at load, not per request

        var isXl = Directory.Exists(Path.Combine(folder, "text_encoder_2"));
        var hasEncoder = File.Exists(Graph(folder, "vae_encoder"));
        string[] components = isXl
            ? ["text_encoder", "text_encoder_2", "unet", "vae_decoder"]
            : ["text_encoder", "unet", "vae_decoder"];
        var paths = components.Select(c => Graph(folder, c)).ToList();
        foreach (var path in paths.Where(p => !File.Exists(p)))
            throw new ModelLoadException(modelId, $"Model folder of {modelId} lacks {Path.GetRelativePath(folder, path)}.");
        if (hasEncoder)
            paths.Add(Graph(folder, "vae_encoder"));
        var hasSafetyChecker = File.Exists(Graph(folder, "safety_checker"));
        if (hasSafetyChecker)
            paths.Add(Graph(folder, "safety_checker"));

        var tokenizer = ClipTokenizer.Load(modelId, Path.Combine(folder, "tokenizer"));
        var tokenizer2 = isXl ? ClipTokenizer.Load(modelId, Path.Combine(folder, "tokenizer_2")) : null;

        var opened = await sessions.CreateAllAsync(modelId, paths).ConfigureAwait(false);
        try
        {
            var next = 0;
            var textEncoder = new ClipTextEncoder(modelId, opened[next++], tokenizer);
            var textEncoder2 = isXl ? new ClipTextEncoder(modelId, opened[next++], tokenizer2!) : null;
            var unet = new UnetModel(modelId, opened[next++]);
            var decoder = opened[next++];
            var vae = new DiffusionVae(modelId, folder, decoder, hasEncoder ? opened[next++] : null, vaeTileLatents);
            var safetyChecker = hasSafetyChecker
                ? new SafetyChecker(modelId, opened[next], ClipImageProcessor.Load(Path.Combine(folder, "feature_extractor", "preprocessor_config.json")))
                : null;
            var family = Classify(modelId, unet, vae, textEncoder, textEncoder2);
            var forceZeros = !(index.TryGetProperty("force_zeros_for_empty_prompt", out var f) && f.ValueKind == JsonValueKind.False);
            var upscaler = family == DiffusionFamily.Upscaler ? LoadUpscalerParts(modelId, folder, index) : null;
            // The x4 upscaler's latents are at the low-res image's size, so its UNet factor is in input pixels.
            var sizing = UnetSizing.Read(modelId, Path.Combine(folder, "unet", "config.json"),
                unet.Session.InputMetadata[UnetModel.Sample].Dimensions, family == DiffusionFamily.Upscaler ? 1 : vae.DownFactor);
            return new DiffusionModel(modelId, family, textEncoder, textEncoder2, unet, vae, schedulerConfig, forceZeros, upscaler, safetyChecker, sizing)
            {
                Loras = new LoraSets(modelId, folder, sessions, loraSingleCopy),
            };
        }
        catch
        {
            foreach (var session in opened)
                session.Dispose();
            throw;
        }
    }

    private static DiffusionFamily Classify(string modelId, UnetModel unet, DiffusionVae vae, ClipTextEncoder encoder, ClipTextEncoder? encoder2)
    {
        if (encoder2 is not null)
        {
            if (!unet.IsXl || !encoder.HasPenultimate || !encoder2.HasPenultimate || !encoder2.HasTextEmbeds)
                throw new ModelLoadException(modelId,
                    $"{modelId} has text_encoder_2 but is not a complete SDXL export: the UNet needs text_embeds and time_ids, and both encoders hidden_states.* outputs (text_encoder_2 also text_embeds).");
            return DiffusionFamily.StableDiffusionXl;
        }

        if (unet.IsXl)
            throw new ModelLoadException(modelId, $"The UNet of {modelId} takes SDXL conditioning but the folder has no text_encoder_2.");
        if (unet.HasClassLabels)
        {
            return unet.InChannels == vae.LatentChannels + 3
                ? DiffusionFamily.Upscaler
                : throw new ModelLoadException(modelId,
                    $"The UNet of {modelId} takes class_labels and {unet.InChannels} channels; the x4 upscaler takes {vae.LatentChannels} latent + 3 image channels.");
        }

        if (unet.InChannels == 2 * vae.LatentChannels)
        {
            return vae.CanEncode
                ? DiffusionFamily.InstructPix2Pix
                : throw new ModelLoadException(modelId, $"{modelId} is an instruct-pix2pix model but has no vae_encoder.");
        }

        return unet.InChannels == vae.LatentChannels
            ? DiffusionFamily.StableDiffusion
            : throw new ModelLoadException(modelId,
                $"The UNet of {modelId} takes {unet.InChannels} channels and its VAE has {vae.LatentChannels}: not a text-to-image, image-to-image or instruct-pix2pix model.");
    }

    /// <summary>diffusers' StableDiffusionUpscalePipeline default for <c>max_noise_level</c> when model_index.json omits it.</summary>
    private const int DefaultMaxNoiseLevel = 350;

    private static UpscalerParts LoadUpscalerParts(string modelId, string folder, JsonElement index)
    {
        var path = Path.Combine(folder, "low_res_scheduler", "scheduler_config.json");
        if (!File.Exists(path))
            throw new ModelLoadException(modelId, $"{modelId} is an x4 upscaler but has no low_res_scheduler/scheduler_config.json.");
        // Only the forward noising √ᾱ·x + √(1−ᾱ)·ε is used, which every alpha-space scheduler shares; the file names DDPM.
        var config = SchedulerConfigReader.Load(path, modelId);
        var maxNoiseLevel = index.TryGetProperty("max_noise_level", out var m) && m.TryGetInt32(out var level) ? level : DefaultMaxNoiseLevel;
        if (maxNoiseLevel < 0 || maxNoiseLevel >= config.NumTrainTimesteps)
            throw new ModelLoadException(modelId, $"max_noise_level {maxNoiseLevel} of {modelId} is outside its low_res_scheduler's {config.NumTrainTimesteps} timesteps.");
        return new UpscalerParts(new DdpmScheduler(config, NoiseSchedule.From(config, modelId)), maxNoiseLevel);
    }

    private static string Graph(string folder, string component) => Path.Combine(folder, component, "model.onnx");

    private static JsonElement ReadJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        Loras.Dispose();
        TextEncoder.Dispose();
        TextEncoder2?.Dispose();
        Unet.Dispose();
        Vae.Dispose();
        SafetyChecker?.Dispose();
    }
}
