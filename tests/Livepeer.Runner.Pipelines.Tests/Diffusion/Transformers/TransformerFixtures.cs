using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Transformers;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers;

/// <summary>The tiny flux-schnell, flux-dev and sd3 fixtures of models/tiny, each loaded once per test run and used one request at a time.</summary>
internal static class TransformerFixtures
{
    public const string Schnell = "flux-schnell";
    public const string Dev = "flux-dev";
    public const string Sd3 = "sd3";
    public const string SchnellBfl = "flux-schnell-bfl";

    internal static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private static readonly Dictionary<string, Lazy<Task<TransformerDiffusionModel>>> Loaded = [];
    private static readonly SemaphoreSlim Turn = new(1, 1);

    public static string Folder(string fixture) => TestPaths.Model("tiny", fixture);

    public static Task<TransformerDiffusionModel> LoadAsync(string fixture)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(fixture, out var model))
                Loaded[fixture] = model = new(() => TransformerDiffusionModel.LoadAsync(fixture, Folder(fixture), Sessions));
            return model.Value;
        }
    }

    public static DiffusionRequest Request(string prompt = "a photo of a cat", int steps = 2, double guidance = 3.5, string[]? negative = null,
        int width = 64, int height = 48, RgbImage? image = null, double strength = 1.0) =>
        new(DiffusionRequest.SplitPrompt(prompt), negative ?? [], width, height, guidance, steps, strength, Image: image);

    public static async Task<RgbImage> GenerateAsync(string fixture, DiffusionRequest request, ulong seed = 7)
    {
        var model = await LoadAsync(fixture);
        await Turn.WaitAsync();
        try
        {
            using var generator = new FlowGenerator(model, request, CancellationToken.None);
            return generator.Generate(seed, CancellationToken.None);
        }
        finally
        {
            Turn.Release();
        }
    }
}
