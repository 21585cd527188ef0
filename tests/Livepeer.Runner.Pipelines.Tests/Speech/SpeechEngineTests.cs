using Livepeer.Runner.Testing;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Speech;
using Microsoft.Extensions.Logging.Abstractions;

namespace Livepeer.Runner.Pipelines.Tests.Speech;

/// <summary>The speech engine through the model loader, as the model manager calls it: an espeak-ng voice needs no files.</summary>
public sealed class SpeechEngineTests : IDisposable
{
    private static readonly RunnerSettings Settings = new() { ExecutionProvider = "cpu" };
    private readonly string _emptyModelDir = Directory.CreateTempSubdirectory("tts-models-").FullName;
    private readonly PipelineModelLoader _loader;

    public SpeechEngineTests()
    {
        _loader = new PipelineModelLoader(EngineRegistry.Default, new ModelLocator(_emptyModelDir), new OnnxSessionFactory(Settings), Settings, TimeProvider.System, NullLogger<PipelineModelLoader>.Instance);
    }

    public void Dispose() => Directory.Delete(_emptyModelDir, recursive: true);

    private static ModelEntry Entry(string modelId, string? path = null) => new("text-to-speech", modelId, Warm: false, path);

    [Fact]
    public void Estimate_OfAnEspeakVoice_HasNoWeights()
    {
        var footprint = _loader.Estimate(Entry("espeak-ng/en-us"));

        Assert.Equal(0, footprint.WeightBytes);
        Assert.True(footprint.ActivationBytes > 0);
    }

    [Fact]
    public async Task Load_OfAnEspeakVoice_FindsNoFilesAndNeedsNone()
    {
        using var voice = await _loader.LoadAsync(Entry("espeak-ng/en-us"), 1L << 30, CancellationToken.None);

        Assert.Equal("en-us", Assert.IsType<EspeakVoice>(voice).Name);
    }

    [Fact]
    public async Task Load_OfAnUnknownVoice_ThrowsModelLoadNamingIt()
    {
        var error = await Assert.ThrowsAsync<ModelLoadException>(() => _loader.LoadAsync(Entry("espeak-ng/xx-nothing"), 1L << 30, CancellationToken.None));

        Assert.Contains("xx-nothing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Estimate_OfANeuralModelWithoutFiles_SaysWhereTheyWereLookedFor()
    {
        var error = Assert.Throws<ModelLoadException>(() => _loader.Estimate(Entry("parler-tts/parler-tts-large-v1")));

        Assert.StartsWith("Model files for parler-tts/parler-tts-large-v1 were not found in", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_OfAFolderOfNoKnownFamily_SaysWhatItLacks()
    {
        var error = await Assert.ThrowsAsync<ModelLoadException>(
            () => _loader.LoadAsync(Entry("someone/some-voice", _emptyModelDir), 1L << 30, CancellationToken.None));

        Assert.Contains("neither a Parler-TTS export", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("parler-tts", SpeechModelKind.ParlerTts)]
    [InlineData("kokoro", SpeechModelKind.Kokoro)]
    [InlineData("whisper-tiny", SpeechModelKind.Unknown)]
    public void Kind_OfAFixtureFolder_IsItsFamily(string fixture, SpeechModelKind kind)
    {
        Assert.Equal(kind, SpeechModelKinds.Of(TestPaths.Model("tiny", fixture)));
    }

    [Fact]
    public void EspeakIdWithAPath_IsAFileModel()
    {
        Assert.True(new SpeechEngine().NeedsFiles(Entry("espeak-ng/en-us", _emptyModelDir)));
        Assert.False(new SpeechEngine().NeedsFiles(Entry("espeak-ng/en-us")));
    }

    [Fact]
    public async Task Prerequisite_IsTheEspeakBinary()
    {
        var present = Assert.Single(new SpeechEngine().Prerequisites);
        var missing = Assert.Single(new SpeechEngine(new EspeakOptions { ExecutablePath = "/nonexistent/espeak-ng" }).Prerequisites);

        Assert.Equal("espeak-ng", present.Name);
        Assert.True(await present.IsAvailableAsync(CancellationToken.None));
        Assert.False(await missing.IsAvailableAsync(CancellationToken.None));
    }
}
