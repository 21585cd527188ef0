using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// A FLUX.1 or Stable Diffusion 3 / 3.5 folder in optimum's diffusers ONNX layout (docs/diffusion-transformers.md),
/// loaded as one unit. Flux: CLIP-L <c>text_encoder/</c> (pooled output), T5 <c>text_encoder_2/</c>,
/// <c>transformer/</c>. SD3: CLIP-L and CLIP-G with projection (<c>text_encoder/</c>, <c>text_encoder_2/</c>), T5
/// <c>text_encoder_3/</c> (optional, as diffusers allows: its states are then zeros), <c>transformer/</c>. Both: the
/// 16-channel VAE (<c>vae_decoder/</c>, and <c>vae_encoder/</c> for image-to-image) and a flow-matching
/// <c>scheduler/</c>. Black Forest Labs' TensorRT layout of Flux is read as well (<see cref="TransformerLayout"/>). All
/// sessions open in parallel; one generation runs at a time (the model manager's lease).
/// </summary>
public sealed class TransformerDiffusionModel : IDisposable, ILoraTarget
{
    /// <summary>T5 tokens for Flux schnell and SD3 (the pipelines' default for SD3, the longest schnell was trained with).</summary>
    public const int ShortT5Length = 256;

    /// <summary>T5 tokens for FLUX.1-dev (the pipeline's default and maximum).</summary>
    public const int LongT5Length = 512;

    private TransformerDiffusionModel(string modelId, DiffusionTransformer transformer, ClipTextEncoder clip, ClipTextEncoder? clip2,
        T5TextEncoder? t5, DiffusionVae vae, SchedulerConfig scheduler, int attentionHeads)
    {
        ModelId = modelId;
        Transformer = transformer;
        Clip = clip;
        Clip2 = clip2;
        T5 = t5;
        Vae = vae;
        SchedulerConfig = scheduler;
        AttentionHeads = attentionHeads;
        // Latent sides must be even for the 2×2 patches (Flux packs them; SD3's transformer patchifies by 2).
        Sizing = new UnetSizing(modelId, vae.DownFactor, LatentMultiple: 2);
    }

    public string ModelId { get; }

    public TransformerFamily Family => Transformer.Family;

    public DiffusionTransformer Transformer { get; }

    /// <summary>CLIP-L: Flux's pooled conditioning; SD3's first CLIP.</summary>
    public ClipTextEncoder Clip { get; }

    /// <summary>SD3's CLIP-G; null for Flux.</summary>
    public ClipTextEncoder? Clip2 { get; }

    /// <summary>The T5 encoder; null only for an SD3 folder without <c>text_encoder_3/</c>.</summary>
    public T5TextEncoder? T5 { get; }

    public DiffusionVae Vae { get; }

    public SchedulerConfig SchedulerConfig { get; }

    public UnetSizing Sizing { get; }

    /// <summary>The LoRA adapter sets built on this model (transformer and text encoders, diffusers/PEFT names), disposed with it.</summary>
    public LoraSets Loras { get; private init; } = null!;

    /// <summary>
    /// This model with a LoRA adapter set's branch sessions for the parts it patches: the transformer, CLIP-L, and
    /// <c>text_encoder_2</c> (SD3's CLIP-G, Flux's T5).
    /// </summary>
    public ILoraTarget WithSessions(IReadOnlyDictionary<LoraComponent, LoraSession> patched)
    {
        var transformer = patched.TryGetValue(LoraComponent.Transformer, out var t) ? new DiffusionTransformer(ModelId, t.Session, t.Inputs) : Transformer;
        var clip = patched.TryGetValue(LoraComponent.TextEncoder, out var c) ? new ClipTextEncoder(ModelId, c.Session, Clip.Tokenizer, c.Inputs) : Clip;
        var second = patched.TryGetValue(LoraComponent.TextEncoder2, out var s) ? s : null;
        var clip2 = second is not null && Clip2 is not null ? new ClipTextEncoder(ModelId, second.Session, Clip2.Tokenizer, second.Inputs) : Clip2;
        var t5 = second is not null && Clip2 is null ? T5!.WithSession(second.Session, second.Inputs) : T5;
        return new TransformerDiffusionModel(ModelId, transformer, clip, clip2, t5, Vae, SchedulerConfig, AttentionHeads) { Loras = Loras };
    }

    /// <summary><c>num_attention_heads</c> of <c>transformer/config.json</c> (24 for FLUX.1 and SD3 medium), for the activation estimate.</summary>
    public int AttentionHeads { get; }

    /// <summary>T5 tokens per prompt: the graph's own when it fixes them, else 512 for guidance-distilled Flux (dev), 256 for schnell and SD3.</summary>
    public int T5Length => T5?.FixedLength ?? (Family == TransformerFamily.Flux && Transformer.HasGuidance ? LongT5Length : ShortT5Length);

    /// <summary>Steps when the request gives none (below 1): 4 for Flux schnell (its distillation), 28 for dev and SD3 (diffusers' defaults).</summary>
    public int DefaultSteps => Family == TransformerFamily.Flux && !Transformer.HasGuidance ? 4 : 28;

    /// <summary>Whether <paramref name="folder"/> holds a diffusion transformer rather than a UNet (in either <see cref="TransformerLayout"/>).</summary>
    public static bool IsTransformerFolder(string folder) => TransformerLayout.Of(folder) is not null;

    /// <summary>
    /// Whether a transformer folder is SD3's rather than Flux's, told from its files before any graph opens: SD3 has a
    /// second CLIP (BPE files in <c>tokenizer_2/</c>) and T5 in <c>text_encoder_3/</c>; Flux has T5 in <c>text_encoder_2/</c>.
    /// </summary>
    public static bool IsSd3Folder(string folder) =>
        Directory.Exists(Path.Combine(folder, "text_encoder_3")) || File.Exists(Path.Combine(folder, "tokenizer_2", "vocab.json"));

    /// <summary>Closes the transformer's or a text encoder's session, which its LoRA branch session replaces from now on (single-copy mode).</summary>
    public void ReleaseBaseSession(LoraComponent component)
    {
        if (component == LoraComponent.Transformer)
            Transformer.Dispose();
        else if (component == LoraComponent.TextEncoder)
            Clip.Dispose();
        else if (component == LoraComponent.TextEncoder2 && Clip2 is not null)
            Clip2.Dispose();
        else if (component == LoraComponent.TextEncoder2)
            T5?.Dispose();
    }

    /// <param name="loraSingleCopy">RUNNER_LORA_SINGLE_COPY for this model's <see cref="LoraSets"/>.</param>
    public static async Task<TransformerDiffusionModel> LoadAsync(string modelId, string folder, OnnxSessionFactory sessions, int vaeTileLatents = 0, bool loraSingleCopy = false)
    {
        if (!File.Exists(Path.Combine(folder, "model_index.json")))
            throw new ModelLoadException(modelId, $"Model folder of {modelId} has no model_index.json; expected a diffusers/optimum ONNX export.");
        var schedulerConfig = SchedulerConfigReader.Load(Path.Combine(folder, "scheduler", "scheduler_config.json"), modelId);
        if (schedulerConfig.ClassName != SchedulerClassNames.FlowMatchEuler)
            throw new ModelLoadException(modelId, $"{modelId} has a transformer/ but its scheduler is '{schedulerConfig.ClassName}'; Flux and SD3 use {SchedulerClassNames.FlowMatchEuler}.");
        _ = SchedulerFactory.Create(schedulerConfig, modelId); // refuse an unsupported option at load, not per request

        var layout = TransformerLayout.Of(folder) ?? throw new ModelLoadException(modelId, $"Model folder of {modelId} has no transformer/model.onnx.");
        layout.CheckTransformer(modelId, folder);
        var isSd3 = IsSd3Folder(folder);
        var hasT5 = !isSd3 || File.Exists(Path.Combine(folder, layout.TextEncoder3!));
        foreach (var graph in new[] { layout.Transformer, layout.TextEncoder, layout.TextEncoder2, layout.VaeDecoder }.Where(g => !File.Exists(Path.Combine(folder, g))))
            throw new ModelLoadException(modelId, $"Model folder of {modelId} lacks {graph.Replace('\\', '/')}.");

        var clipTokenizer = ClipTokenizer.Load(modelId, Path.Combine(folder, "tokenizer"));
        var clip2Tokenizer = isSd3 ? ClipTokenizer.Load(modelId, Path.Combine(folder, "tokenizer_2")) : null;
        var t5Tokenizer = hasT5 ? T5TextEncoder.ReadTokenizer(modelId, Path.Combine(folder, isSd3 ? "tokenizer_3" : "tokenizer_2")) : default;
        var heads = ReadHeads(modelId, folder);

        var paths = new[] { layout.Transformer, layout.TextEncoder, layout.TextEncoder2, layout.VaeDecoder }.Select(g => Path.Combine(folder, g)).ToList();
        if (isSd3 && hasT5)
            paths.Add(Path.Combine(folder, layout.TextEncoder3!));
        var hasEncoder = File.Exists(Path.Combine(folder, layout.VaeEncoder));
        if (hasEncoder)
            paths.Add(Path.Combine(folder, layout.VaeEncoder));

        var opened = await sessions.CreateAllAsync(modelId, paths).ConfigureAwait(false);
        try
        {
            var transformer = new DiffusionTransformer(modelId, opened[0]);
            var clip = new ClipTextEncoder(modelId, opened[1], clipTokenizer);
            var clip2 = isSd3 ? new ClipTextEncoder(modelId, opened[2], clip2Tokenizer!) : null;
            var next = 4;
            var t5 = !hasT5 ? null : T5TextEncoder.Create(modelId, isSd3 ? opened[next++] : opened[2], t5Tokenizer);
            // Black Forest Labs' decoder takes `latent` (which alone would read as TAESD's) and gives [-1, 1] images.
            var vae = new DiffusionVae(modelId, folder, opened[3], hasEncoder ? opened[next] : null, vaeTileLatents,
                Path.Combine(folder, layout.VaeConfig), unitRange: layout.IsBlackForestLabs ? false : null);
            Check(modelId, transformer, clip, clip2, vae, isSd3);
            return new TransformerDiffusionModel(modelId, transformer, clip, clip2, t5, vae, schedulerConfig, heads)
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

    private static void Check(string modelId, DiffusionTransformer transformer, ClipTextEncoder clip, ClipTextEncoder? clip2, DiffusionVae vae, bool isSd3)
    {
        if (isSd3 != (transformer.Family == TransformerFamily.StableDiffusion3))
            throw new ModelLoadException(modelId, isSd3
                ? $"{modelId} has SD3's text encoders but a Flux transformer (it takes img_ids)."
                : $"{modelId} has Flux's text encoders (T5 in text_encoder_2) but an SD3 transformer (no img_ids).");
        if (isSd3 && (!clip.HasPenultimate || !clip.HasTextEmbeds || !clip2!.HasPenultimate || !clip2.HasTextEmbeds))
            throw new ModelLoadException(modelId, $"The CLIP encoders of {modelId} need text_embeds and hidden_states.* outputs (CLIPTextModelWithProjection with output_hidden_states), as SD3 exports have.");
        if (!isSd3 && !clip.HasPooler)
            throw new ModelLoadException(modelId, $"The CLIP encoder of {modelId} has no pooler_output, Flux's pooled conditioning.");
        if (transformer.Family == TransformerFamily.Flux && transformer.PackedChannels != vae.LatentChannels * 4)
            throw new ModelLoadException(modelId, $"The Flux transformer of {modelId} takes {transformer.PackedChannels} features a token; its VAE's {vae.LatentChannels} latent channels pack into {vae.LatentChannels * 4}.");
    }

    /// <summary>FLUX.1's and SD3 medium's head count, for a folder whose transformer config does not say.</summary>
    public const int DefaultHeads = 24;

    /// <summary>
    /// <c>num_attention_heads</c> of the folder's <c>transformer/config.json</c> (24 for FLUX.1 and SD3 medium, 38 for
    /// SD3.5 large), or <see cref="DefaultHeads"/> when it does not say. Throws what reading the file throws.
    /// </summary>
    public static int AttentionHeadsOf(string folder) =>
        ModelFolderJson.Read(Path.Combine(folder, "transformer", "config.json")) is { ValueKind: JsonValueKind.Object } json
        && json.TryGetProperty("num_attention_heads", out var h) && h.TryGetInt32(out var heads) && heads > 0
            ? heads
            : DefaultHeads;

    private static int ReadHeads(string modelId, string folder)
    {
        try
        {
            return AttentionHeadsOf(folder);
        }
        catch (Exception e) when (ModelFolderJson.IsUnreadable(e))
        {
            throw new ModelLoadException(modelId, $"{modelId}: could not read '{Path.Combine(folder, "transformer", "config.json")}': {e.Message}", e);
        }
    }

    public void Dispose()
    {
        Loras.Dispose();
        Transformer.Dispose();
        Clip.Dispose();
        Clip2?.Dispose();
        T5?.Dispose();
        Vae.Dispose();
    }
}
