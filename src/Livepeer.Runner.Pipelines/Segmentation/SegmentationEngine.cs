using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>/segment-anything-2: SAM v1 and SAM 2 ONNX exports, told apart by their graphs (<see cref="SegmentationModel"/>).</summary>
public sealed class SegmentationEngine : IEngine
{
    public string Name => "sam";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.SegmentAnything2];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    /// <summary>
    /// The embedding cache is thread-safe and runs share nothing else, so two requests may run at once: a client's
    /// clicks on a cached image need not wait behind another client's image encoding.
    /// </summary>
    public int Concurrency => 2;

    public long ActivationBytes(ModelEntry entry, string location) => 1L << 30;

    public ModelRequirements? Requirements(string location) => SamRequirements.Of(location);

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(SegmentationModel.Load(
            load.ModelId, load.RequireFolder("Segmentation", "an image encoder and a prompt decoder graph"), load.Sessions));
}
