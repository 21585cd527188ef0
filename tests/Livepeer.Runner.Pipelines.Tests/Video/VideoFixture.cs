using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Video;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Video;

/// <summary>models/tiny/svd, loaded once per test run; one generation at a time, as the model manager's turn keeps it.</summary>
internal static class VideoFixture
{
    private static readonly Lazy<Task<VideoModel>> Loaded = new(() =>
        VideoModel.LoadAsync("test/tiny-svd", TestPaths.Model("tiny", "svd"), new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" })));

    public static SemaphoreSlim Turn { get; } = new(1, 1);

    public static Task<VideoModel> LoadAsync() => Loaded.Value;
}
