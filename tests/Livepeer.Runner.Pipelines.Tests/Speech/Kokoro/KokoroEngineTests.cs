using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

/// <summary>A Kokoro folder through the model loader, as the model manager loads it.</summary>
public sealed class KokoroEngineTests
{
    private static readonly RunnerSettings Settings = new() { ExecutionProvider = "cpu" };
    private static readonly ModelEntry Entry = new("text-to-speech", "onnx-community/Kokoro-82M-v1.0-ONNX", Warm: false, TestPaths.Model("tiny", "kokoro"));

    private static PipelineModelLoader Loader() =>
        new(EngineRegistry.Default, new ModelLocator(TestPaths.Model()), new OnnxSessionFactory(Settings), Settings, TimeProvider.System, NullLogger<PipelineModelLoader>.Instance);

    [Fact]
    public async Task Load_OfTheKokoroFixture_IsAKokoroModel()
    {
        using var model = await Loader().LoadAsync(Entry, 1L << 30, CancellationToken.None);

        Assert.Equal("af_heart", Assert.IsType<KokoroModel>(model).DefaultVoice);
    }

    [Fact]
    public void Estimate_OfTheKokoroFixture_HasItsGraphAndOneCallsActivations()
    {
        var footprint = Loader().Estimate(Entry);

        Assert.Equal(new FileInfo(TestPaths.Model("tiny", "kokoro", "onnx", "model.onnx")).Length, footprint.WeightBytes);
        Assert.Equal(KokoroModel.ActivationBytes, footprint.ActivationBytes);
    }
}
