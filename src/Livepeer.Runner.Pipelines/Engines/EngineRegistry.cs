using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Captioning;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Segmentation;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Upscale;
using Livepeer.Runner.Pipelines.Video;
using Livepeer.Runner.Pipelines.Whisper;

namespace Livepeer.Runner.Pipelines.Engines;

/// <summary>Which engines this build has, by pipeline. The one place that knows whether a pipeline can run.</summary>
public sealed class EngineRegistry
{
    private readonly Dictionary<string, IEngine> _byPipeline = new(StringComparer.Ordinal);

    public EngineRegistry(IEnumerable<IEngine> engines)
    {
        Engines = engines.ToList();
        foreach (var engine in Engines)
            foreach (var pipeline in engine.Pipelines)
                if (!_byPipeline.TryAdd(pipeline, engine))
                    throw new ArgumentException($"Pipeline {pipeline} is registered by both {_byPipeline[pipeline].Name} and {engine.Name}.", nameof(engines));
    }

    /// <summary>The engines of this build: one line each.</summary>
    public static EngineRegistry Default { get; } = new(
    [
        new DiffusionEngine(),
        new UpscaleEngine(),
        new AudioToTextEngine(),
        new VoiceActivityEngine(),
        new LlmEngine(),
        new CaptioningEngine(),
        new SegmentationEngine(),
        new SpeechEngine(),
        new VideoEngine(),
    ]);

    public IReadOnlyList<IEngine> Engines { get; }

    public IEngine? For(string pipeline) => _byPipeline.GetValueOrDefault(pipeline);

    public bool IsBuilt(string pipeline) => _byPipeline.ContainsKey(pipeline);

    /// <summary>The engine of the entry's pipeline, or the plain "not built" error a route answers with.</summary>
    public IEngine Require(ModelEntry entry) => For(entry.Pipeline) ?? throw Unavailable(entry.Pipeline, entry.ModelId);

    public static EngineUnavailableException Unavailable(string pipeline, string modelId) =>
        new($"The {pipeline} engine is not built into this runner yet, so model {modelId} cannot run.");
}
