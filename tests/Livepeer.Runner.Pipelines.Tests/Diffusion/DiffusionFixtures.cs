using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>The tiny diffusion fixtures of models/tiny, each loaded once per test run.</summary>
internal static class DiffusionFixtures
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private static readonly Dictionary<string, Lazy<Task<DiffusionModel>>> Loaded = [];
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DiffusionModel, SemaphoreSlim> Turns = [];

    /// <summary>
    /// The one turn of a shared fixture model: the runner's model manager gives a diffusion model one request at a
    /// time, and tests that drive the engine directly keep to the same rule.
    /// </summary>
    public static SemaphoreSlim Turn(DiffusionModel model) => Turns.GetValue(model, static _ => new SemaphoreSlim(1, 1));

    public static string Folder(string fixture) => TestPaths.Model("tiny", fixture);

    public static Task<DiffusionModel> LoadAsync(string fixture)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(fixture, out var model))
                Loaded[fixture] = model = new(() => DiffusionModel.LoadAsync(fixture, Folder(fixture), Sessions));
            return model.Value;
        }
    }

    /// <summary>A smooth colour gradient, so the VAE encoder sees something other than a constant.</summary>
    public static RgbImage Gradient(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                image.Pixels[i] = (byte)(x * 255 / width);
                image.Pixels[i + 1] = (byte)(y * 255 / height);
                image.Pixels[i + 2] = 128;
            }
        }

        return image;
    }

    public static byte[] Png(RgbImage image) => PngEncoder.Encode(image, 1);

    public static async Task<byte[]> GenerateAsync(string fixture, DiffusionRequest request, ulong seed)
    {
        var model = await LoadAsync(fixture);
        await DiffusionFixtures.Turn(model).WaitAsync();
        try
        {
            using var generator = new DiffusionGenerator(model, request, CancellationToken.None);
            return Png(generator.Generate(seed, CancellationToken.None));
        }
        finally
        {
            DiffusionFixtures.Turn(model).Release();
        }
    }
}
