using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines;

/// <summary>Which pipelines have an engine in this build. The README's pipeline table says the same.</summary>
public static class Engines
{
    private static readonly HashSet<string> Built = [PipelineNames.Upscale, PipelineNames.Llm, PipelineNames.AudioToText, PipelineNames.TextToImage, PipelineNames.ImageToImage];

    public static bool IsBuilt(string pipeline) => Built.Contains(pipeline);

    /// <summary>
    /// Memory one request's intermediate tensors may take, per pipeline, on top of the weights: the model
    /// manager reserves it with the model. Rough upper bounds at the contract's default sizes.
    /// </summary>
    public static long ActivationAllowance(string pipeline) => pipeline switch
    {
        PipelineNames.Upscale => 256L << 20,
        PipelineNames.TextToImage or PipelineNames.ImageToImage => 3L << 30,
        PipelineNames.ImageToVideo => 8L << 30,
        PipelineNames.SegmentAnything2 => 1L << 30,
        PipelineNames.Llm => 2L << 30,
        _ => 512L << 20,
    };

    public static EngineUnavailableException Unavailable(string pipeline, string modelId) =>
        new($"The {pipeline} engine is not built into this runner yet, so model {modelId} cannot run.");
}
