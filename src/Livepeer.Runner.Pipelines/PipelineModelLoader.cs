using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Upscale;
using Livepeer.Runner.Pipelines.Whisper;

namespace Livepeer.Runner.Pipelines;

/// <summary>Loads a configured model with the engine of its pipeline, from the files the locator finds.</summary>
public sealed class PipelineModelLoader(ModelLocator locator, OnnxSessionFactory sessions, RunnerSettings settings) : IModelLoader
{
    public ModelFootprint Estimate(ModelEntry entry)
    {
        if (!Engines.IsBuilt(entry.Pipeline))
            throw Engines.Unavailable(entry.Pipeline, entry.ModelId);
        var location = locator.Locate(entry);
        // The x4 upscaler runs a UNet like text-to-image's, not an ESRGAN-sized graph.
        var activations = entry.Pipeline == PipelineNames.Upscale && UpscaleModels.IsDiffusion(location)
            ? Engines.ActivationAllowance(PipelineNames.TextToImage)
            : Engines.ActivationAllowance(entry.Pipeline);
        return new ModelFootprint(ModelFootprint.WeightBytesAt(location), activations);
    }

    public async Task<IDisposable> LoadAsync(ModelEntry entry, long memoryLimitBytes, CancellationToken cancellationToken)
    {
        var location = locator.Locate(entry);
        IDisposable model = entry.Pipeline switch
        {
            PipelineNames.TextToImage or PipelineNames.ImageToImage =>
                await DiffusionModel.LoadAsync(entry.ModelId, location, sessions.WithMemoryLimit(memoryLimitBytes), settings.VaeTileLatents).ConfigureAwait(false),
            PipelineNames.Upscale => await UpscaleModels.LoadAsync(
                entry.ModelId, location, sessions.WithMemoryLimit(memoryLimitBytes), settings.UpscaleTileSize, settings.VaeTileLatents).ConfigureAwait(false),
            PipelineNames.Llm => LlmModel.Load(entry.ModelId, location, sessions.WithMemoryLimit(memoryLimitBytes)),
            PipelineNames.AudioToText => Directory.Exists(location)
                ? WhisperModel.Load(entry.ModelId, location, sessions.WithMemoryLimit(memoryLimitBytes))
                : throw new Core.Errors.ModelLoadException(entry.ModelId, $"Whisper model {entry.ModelId} must be a model folder (encoder_model.onnx, decoder, tokenizer and config files)."),
            _ => throw Engines.Unavailable(entry.Pipeline, entry.ModelId),
        };
        return model;
    }
}
