using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines;

/// <summary>Which pipelines have an engine in this build. The README's pipeline table says the same.</summary>
public static class Engines
{
    private static readonly HashSet<string> Built = [PipelineNames.Upscale];

    public static bool IsBuilt(string pipeline) => Built.Contains(pipeline);

    public static EngineUnavailableException Unavailable(string pipeline, string modelId) =>
        new($"The {pipeline} engine is not built into this runner yet, so model {modelId} cannot run.");
}
