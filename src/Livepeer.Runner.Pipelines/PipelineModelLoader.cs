using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Upscale;

namespace Livepeer.Runner.Pipelines;

/// <summary>Loads a configured model with the engine of its pipeline, from the files the locator finds.</summary>
public sealed class PipelineModelLoader(ModelLocator locator, OnnxSessionFactory sessions, RunnerSettings settings) : IModelLoader
{
    public Task<IDisposable> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        if (!Engines.IsBuilt(entry.Pipeline))
            throw Engines.Unavailable(entry.Pipeline, entry.ModelId);

        var location = locator.Locate(entry);
        IDisposable model = entry.Pipeline switch
        {
            PipelineNames.Upscale => UpscaleModels.Load(entry.ModelId, location, sessions, settings.UpscaleTileSize),
            _ => throw Engines.Unavailable(entry.Pipeline, entry.ModelId),
        };
        return Task.FromResult(model);
    }
}
