using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Checks;

namespace Livepeer.Runner.Pipelines.Captioning;

/// <summary>/image-to-text: BLIP captioning (<see cref="BlipModel"/>).</summary>
public sealed class CaptioningEngine : IEngine
{
    public string Name => "blip";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.ImageToText];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    /// <summary>The model holds no per-request state; four at once keeps the encoder activations of a 384² ViT bounded.</summary>
    public int Concurrency => 4;

    public long ActivationBytes(ModelEntry entry, string location) => 1L << 30;

    public ModelRequirements? Requirements(string location) => BlipModel.Requirements(location);

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(BlipModel.Load(
            load.ModelId, load.RequireFolder("BLIP", "encoder_model.onnx, decoder, tokenizer and config files"), load.Sessions));
}
