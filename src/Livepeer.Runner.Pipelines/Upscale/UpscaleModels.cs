using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Diffusion;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>
/// Both /upscale families live behind one route, told apart by their files: a diffusers folder
/// (<c>model_index.json</c>) is the Stable Diffusion x4 upscaler; a single <c>.onnx</c> file, or a folder holding
/// <c>model.onnx</c>, is a plain super-resolution graph.
/// </summary>
public static class UpscaleModels
{
    /// <summary>What <see cref="LoadAsync"/> takes: the x4 upscaler's diffusers folder, or one super-resolution graph (<see cref="SuperResolutionModel"/>: one float image in, one out).</summary>
    public static ModelRequirements? Requirements(string location)
    {
        if (Directory.Exists(location) && IsDiffusion(location))
            return DiffusionRequirements.Of(location);
        var graph = File.Exists(location) && location.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? Path.GetFileName(location)
            : File.Exists(Path.Combine(location, "model.onnx")) ? "model.onnx" : null;
        if (graph is null)
            return null;
        TensorNeed image = new([], ["Float"], SuperResolutionModel.ImageRank);
        return new ModelRequirements("super-resolution", [], [new GraphNeed("super-resolution graph", [graph], [image], [image]) { ExactCounts = (1, 1) }]);
    }

    public static bool IsDiffusion(string location) => File.Exists(Path.Combine(location, "model_index.json"));

    public static async Task<IUpscaleEngine> LoadAsync(string modelId, string location, OnnxSessionFactory sessions, int tileSize, int vaeTileLatents)
    {
        if (File.Exists(location))
        {
            return location.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
                ? SuperResolutionModel.Load(modelId, location, sessions, tileSize)
                : throw new ModelLoadException(modelId, $"Upscale model {modelId} must be an .onnx file or a model folder, not '{Path.GetFileName(location)}'.");
        }

        if (IsDiffusion(location))
            return await DiffusionUpscaler.LoadAsync(modelId, location, sessions, vaeTileLatents).ConfigureAwait(false);

        var graph = Path.Combine(location, "model.onnx");
        return File.Exists(graph)
            ? SuperResolutionModel.Load(modelId, graph, sessions, tileSize)
            : throw new ModelLoadException(modelId, $"Upscale model folder of {modelId} holds neither model.onnx nor model_index.json.");
    }
}
