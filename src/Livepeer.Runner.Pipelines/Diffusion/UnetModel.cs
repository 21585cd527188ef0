using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// The denoiser graph and its dialect, read from its inputs (MODEL-FORMATS §1.2): <c>timestep</c> is a rank-0 float
/// (optimum ≥ 1.24), an i64 vector (optimum ≤ 1.23) or a float vector (legacy script); SDXL UNets add
/// <c>text_embeds</c> and <c>time_ids</c>; instruct-pix2pix's <c>sample</c> has 8 channels; the x4 upscaler's has 7 and it
/// takes the noise level as i64 <c>class_labels</c> (MODEL-FORMATS §2.2). fp16 exports take and give float16, timestep
/// included (MODEL-FORMATS §1.3). Stable Video Diffusion's UNet (MODEL-FORMATS §3) takes a rank-5 <c>sample</c>
/// <c>[batch, num_frames, 8, height, width]</c> and <c>added_time_ids</c> <c>[batch, 3]</c>.
/// </summary>
public sealed class UnetModel : IDisposable
{
    internal const string Sample = "sample";
    internal const string Timestep = "timestep";
    internal const string EncoderHiddenStates = "encoder_hidden_states";
    internal const string TextEmbeds = "text_embeds";
    internal const string TimeIds = "time_ids";
    internal const string ClassLabels = "class_labels";
    internal const string AddedTimeIds = "added_time_ids";

    /// <param name="adapter">A LoRA adapter set's inputs when <paramref name="session"/> carries its branches; none otherwise.</param>
    public UnetModel(string modelId, InferenceSession session, SessionInputs? adapter = null)
    {
        Session = session;
        Adapter = adapter ?? SessionInputs.None;
        var inputs = Adapter.OthersOf(session);
        foreach (var required in new[] { Sample, Timestep, EncoderHiddenStates })
        {
            if (!inputs.ContainsKey(required))
                throw new ModelLoadException(modelId, $"The UNet of {modelId} has no '{required}' input.");
        }

        // fp32 exports take float32 everywhere; fp16 exports (optimum --dtype fp16) float16, timestep included.
        var floatType = inputs[Sample].ElementType;
        foreach (var (name, meta) in inputs)
        {
            if (name is not (Timestep or ClassLabels) && (meta.ElementType != floatType || !FloatTensor.IsFloat(meta.ElementType)))
                throw new ModelLoadException(modelId, $"The UNet of {modelId} takes {meta.ElementType.Name} '{name}' and {floatType.Name} 'sample'; expected float32 or float16 for both.");
        }

        OutputName = session.OutputNames[0];
        OutputType = session.OutputMetadata[OutputName].ElementType;
        if (!FloatTensor.IsFloat(OutputType))
            throw new ModelLoadException(modelId, $"The UNet of {modelId} gives {OutputType.Name} '{OutputName}'; expected float32 or float16.");

        var extra = inputs.Keys.Except([Sample, Timestep, EncoderHiddenStates, TextEmbeds, TimeIds, ClassLabels, AddedTimeIds]).ToList();
        if (extra.Count > 0)
            throw new ModelLoadException(modelId,
                $"The UNet of {modelId} has inputs this engine does not feed ({string.Join(", ", extra)}): LCM timestep_cond is not supported yet.");

        if (inputs.TryGetValue(ClassLabels, out var classLabels))
        {
            if (classLabels.ElementType != typeof(long) || classLabels.Dimensions.Length != 1)
                throw new ModelLoadException(modelId, $"The UNet of {modelId} takes a rank-{classLabels.Dimensions.Length} {classLabels.ElementType.Name} class_labels; expected an int64 vector (the x4 upscaler's noise level).");
            HasClassLabels = true;
        }

        var timestep = inputs[Timestep];
        TimestepType = timestep.ElementType;
        TimestepRank = timestep.Dimensions.Length;
        if (!FloatTensor.IsFloat(TimestepType) && TimestepType != typeof(long) || TimestepRank > 1)
            throw new ModelLoadException(modelId, $"The UNet of {modelId} takes a rank-{TimestepRank} {TimestepType.Name} timestep; expected a float32, float16 or int64 scalar or vector.");

        // SVD's sample is [batch, num_frames, channels, height, width]; the others' [batch, channels, height, width].
        IsVideo = inputs[Sample].Dimensions.Length == 5;
        if (IsVideo != inputs.ContainsKey(AddedTimeIds))
            throw new ModelLoadException(modelId, $"The UNet of {modelId} has a rank-{inputs[Sample].Dimensions.Length} sample {(IsVideo ? "without" : "with")} added_time_ids; Stable Video Diffusion UNets have both, the others neither.");
        InChannels = IsVideo
            ? inputs[Sample].Dimensions[2] > 0 ? inputs[Sample].Dimensions[2] : 8
            : inputs[Sample].Dimensions is [_, > 0 and var channels, ..] ? channels : 4;
        HiddenWidth = inputs[EncoderHiddenStates].Dimensions is [_, _, > 0 and var width] ? width : -1;
        IsXl = inputs.ContainsKey(TextEmbeds) && inputs.ContainsKey(TimeIds);
        if (inputs.ContainsKey(TextEmbeds) != inputs.ContainsKey(TimeIds))
            throw new ModelLoadException(modelId, $"The UNet of {modelId} has only one of text_embeds and time_ids.");
        TimeIdsLength = IsXl && inputs[TimeIds].Dimensions is [_, > 0 and var n] ? n : 6;
    }

    internal InferenceSession Session { get; }

    /// <summary>What the session takes beside the UNet's own inputs on every run (a LoRA adapter set's weights).</summary>
    internal SessionInputs Adapter { get; }

    /// <summary>The noise prediction, the graph's first output (<c>out_sample</c> in optimum exports).</summary>
    internal string OutputName { get; }

    /// <summary>float32, or float16 for fp16 exports.</summary>
    public Type OutputType { get; }

    /// <summary>The element type the graph takes for input <paramref name="name"/>.</summary>
    public Type InputType(string name) => Session.InputMetadata[name].ElementType;

    public Type TimestepType { get; }

    public int TimestepRank { get; }

    /// <summary>Channels of <c>sample</c>: 4 for SD/SDXL, 8 for instruct-pix2pix (noisy + image latents), 7 for the x4 upscaler (noisy latents + low-res RGB).</summary>
    public int InChannels { get; }

    /// <summary>The width of <c>encoder_hidden_states</c> when the graph fixes it, else −1.</summary>
    public int HiddenWidth { get; }

    /// <summary>SDXL-style: takes pooled <c>text_embeds</c> and <c>time_ids</c>.</summary>
    public bool IsXl { get; }

    /// <summary>Stable Video Diffusion: a rank-5 <c>sample</c> with the frames on axis 1, and <c>added_time_ids</c>.</summary>
    public bool IsVideo { get; }

    /// <summary>Takes <c>class_labels</c>: the x4 upscaler's noise level, one per batch row.</summary>
    public bool HasClassLabels { get; }

    /// <summary>6 (<c>[h, w, top, left, h, w]</c>), or 5 for refiner-style aesthetic conditioning.</summary>
    public int TimeIdsLength { get; }

    public void Dispose() => Session.Dispose();
}
