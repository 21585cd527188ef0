using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>The two flow-matching transformer pipelines, told apart by the denoiser's inputs.</summary>
public enum TransformerFamily
{
    /// <summary>FLUX.1: packed 2×2 latent tokens with rotary positions (<c>img_ids</c>, <c>txt_ids</c>); dev adds <c>guidance</c>.</summary>
    Flux,

    /// <summary>Stable Diffusion 3 / 3.5 (MMDiT): unpacked latents (the model patchifies them), classifier-free guidance.</summary>
    StableDiffusion3,
}

/// <summary>
/// The denoiser graph of a Flux or SD3 export (<c>transformer/model.onnx</c>, docs/diffusion-transformers.md) and its
/// dialect, read from its inputs: Flux takes <c>hidden_states</c> <c>[batch, tokens, 64]</c>, <c>img_ids</c> and
/// <c>txt_ids</c> (<c>[tokens, 3]</c>, or <c>[1, tokens, 3]</c> in diffusers &lt; 0.31 exports; int64 or float) and,
/// for guidance-distilled dev, <c>guidance</c>; SD3 takes <c>hidden_states</c> <c>[batch, 16, height, width]</c>. Both
/// take <c>encoder_hidden_states</c>, <c>pooled_projections</c> and a float <c>timestep</c> (a scalar or one per row).
/// Float inputs and the output are float32, float16 or bfloat16, converted at the boundary (<see cref="FloatTensor"/>).
/// </summary>
public sealed class DiffusionTransformer : IDisposable
{
    internal const string HiddenStates = "hidden_states";
    internal const string EncoderHiddenStates = "encoder_hidden_states";
    internal const string PooledProjections = "pooled_projections";
    internal const string Timestep = "timestep";
    internal const string ImageIds = "img_ids";
    internal const string TextIds = "txt_ids";
    internal const string Guidance = "guidance";

    /// <param name="adapter">A LoRA adapter set's inputs when <paramref name="session"/> carries its branches; none otherwise.</param>
    public DiffusionTransformer(string modelId, InferenceSession session, SessionInputs? adapter = null)
    {
        Session = session;
        Adapter = adapter ?? SessionInputs.None;
        var inputs = Adapter.OthersOf(session);
        foreach (var required in new[] { HiddenStates, EncoderHiddenStates, PooledProjections, Timestep })
        {
            if (!inputs.ContainsKey(required))
                throw new ModelLoadException(modelId, $"The transformer of {modelId} has no '{required}' input.");
        }

        Family = inputs.ContainsKey(ImageIds) ? TransformerFamily.Flux : TransformerFamily.StableDiffusion3;
        var known = Family == TransformerFamily.Flux
            ? new[] { HiddenStates, EncoderHiddenStates, PooledProjections, Timestep, ImageIds, TextIds, Guidance }
            : [HiddenStates, EncoderHiddenStates, PooledProjections, Timestep];
        var extra = inputs.Keys.Except(known).ToList();
        if (extra.Count > 0)
            throw new ModelLoadException(modelId, $"The transformer of {modelId} has inputs this engine does not feed: {string.Join(", ", extra)}.");

        HasGuidance = inputs.ContainsKey(Guidance);
        foreach (var name in known.Where(n => n is not (ImageIds or TextIds) && inputs.ContainsKey(n)))
        {
            if (!FloatTensor.IsFloat(inputs[name].ElementType))
                throw new ModelLoadException(modelId, $"The transformer of {modelId} takes {inputs[name].ElementType.Name} '{name}'; expected float32, float16 or bfloat16.");
        }

        var sampleRank = inputs[HiddenStates].Dimensions.Length;
        if (sampleRank != (Family == TransformerFamily.Flux ? 3 : 4))
            throw new ModelLoadException(modelId, Family == TransformerFamily.Flux
                ? $"The Flux transformer of {modelId} takes a rank-{sampleRank} hidden_states; expected packed [batch, tokens, channels]."
                : $"The transformer of {modelId} takes a rank-{sampleRank} hidden_states without img_ids; expected SD3's [batch, channels, height, width].");

        if (Family == TransformerFamily.Flux)
        {
            if (!inputs.ContainsKey(TextIds))
                throw new ModelLoadException(modelId, $"The Flux transformer of {modelId} has img_ids but no txt_ids.");
            IdsType = inputs[ImageIds].ElementType;
            IdsRank = inputs[ImageIds].Dimensions.Length;
            if ((IdsType != typeof(long) && IdsType != typeof(float)) || IdsRank is not (2 or 3) || inputs[TextIds].ElementType != IdsType)
                throw new ModelLoadException(modelId, $"The Flux transformer of {modelId} takes rank-{IdsRank} {IdsType.Name} img_ids; expected int64 or float32 [tokens, 3] (or [1, tokens, 3]) for both ids.");
            PackedChannels = inputs[HiddenStates].Dimensions[2] > 0 ? inputs[HiddenStates].Dimensions[2] : 64;
            if (PackedChannels % 4 != 0)
                throw new ModelLoadException(modelId, $"The Flux transformer of {modelId} takes {PackedChannels} features a token; 2×2 packing needs a multiple of 4.");
        }

        TimestepRank = inputs[Timestep].Dimensions.Length;
        GuidanceRank = HasGuidance ? inputs[Guidance].Dimensions.Length : 0;
        if (TimestepRank > 1 || GuidanceRank > 1)
            throw new ModelLoadException(modelId, $"The transformer of {modelId} takes a rank-{Math.Max(TimestepRank, GuidanceRank)} timestep or guidance; expected a scalar or one per batch row.");
        TextWidth = inputs[EncoderHiddenStates].Dimensions is [_, _, > 0 and var width] ? width : 0;
        PooledWidth = inputs[PooledProjections].Dimensions is [_, > 0 and var pooled] ? pooled : 0;

        OutputName = session.OutputNames[0];
        if (!FloatTensor.IsFloat(session.OutputMetadata[OutputName].ElementType))
            throw new ModelLoadException(modelId, $"The transformer of {modelId} gives {session.OutputMetadata[OutputName].ElementType.Name} '{OutputName}'; expected a float type.");
    }

    internal InferenceSession Session { get; }

    /// <summary>What the session takes beside the transformer's own inputs on every run (a LoRA adapter set's weights).</summary>
    internal SessionInputs Adapter { get; }

    public TransformerFamily Family { get; }

    /// <summary>FLUX.1-dev and other guidance-distilled Flux models: the guidance scale is an input, not a second batch row.</summary>
    public bool HasGuidance { get; }

    /// <summary>Flux only: the element type of <c>img_ids</c> and <c>txt_ids</c> (int64 from optimum's dummy inputs, or float).</summary>
    public Type? IdsType { get; }

    /// <summary>Flux only: 2 (<c>[tokens, 3]</c>) or 3 (<c>[1, tokens, 3]</c>).</summary>
    public int IdsRank { get; }

    /// <summary>Flux only: features per packed token, latent channels × 4 (64).</summary>
    public int PackedChannels { get; }

    public int TimestepRank { get; }

    public int GuidanceRank { get; }

    /// <summary>The width of <c>encoder_hidden_states</c> when the graph fixes it (SD3's joint_attention_dim), else 0.</summary>
    public int TextWidth { get; }

    /// <summary>The width of <c>pooled_projections</c> when the graph fixes it, else 0.</summary>
    public int PooledWidth { get; }

    /// <summary>The velocity, the graph's first output (<c>out_hidden_states</c> in optimum exports).</summary>
    internal string OutputName { get; }

    public Type InputType(string name) => Session.InputMetadata[name].ElementType;

    public Type OutputType => Session.OutputMetadata[OutputName].ElementType;

    public void Dispose() => Session.Dispose();
}
