using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>
/// stabilityai/stable-diffusion-x4-upscaler behind /upscale: the prompt-guided diffusion upscaler with the settings
/// ai-runner leaves at diffusers' defaults (guidance 9.0, noise level 20, 75 steps when none are asked for).
/// One request at a time runs on the model; others queue on its gate.
/// </summary>
public sealed class DiffusionUpscaler : IUpscaleEngine
{
    public const int DefaultSteps = 75;
    public const double GuidanceScale = 9.0;
    public const int NoiseLevel = 20;

    private DiffusionUpscaler(DiffusionModel model) => Model = model;

    public DiffusionModel Model { get; }

    public int Scale => Model.Vae.DownFactor;

    public SafetyChecker? SafetyChecker => Model.SafetyChecker;

    public static async Task<DiffusionUpscaler> LoadAsync(string modelId, string folder, OnnxSessionFactory sessions, int vaeTileLatents)
    {
        var model = await DiffusionModel.LoadAsync(modelId, folder, sessions, vaeTileLatents).ConfigureAwait(false);
        if (model.Family == DiffusionFamily.Upscaler)
            return new DiffusionUpscaler(model);
        model.Dispose();
        throw new ModelLoadException(modelId, $"{modelId} is a {model.Family} diffusers model, not the Stable Diffusion x4 upscaler /upscale serves.");
    }

    public Task<RgbImage> UpscaleAsync(RgbImage input, UpscaleParameters parameters, CancellationToken cancellationToken)
    {
        var steps = parameters.Steps < 1 ? DefaultSteps : (int)Math.Min(parameters.Steps, 10_000);
        var request = new UpscalerRequest(parameters.Prompt, input, steps, GuidanceScale, NoiseLevel);
        using var generator = new UpscalerGenerator(Model, request, cancellationToken);
        return Task.FromResult(generator.Generate(unchecked((ulong)parameters.Seed), cancellationToken));
    }

    public void Dispose() => Model.Dispose();
}
