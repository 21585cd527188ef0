using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Moonshine;
using Livepeer.Runner.Pipelines.Tests.Whisper;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Moonshine;

/// <summary>The audio-to-text engine picks the family at load, from config.json or the encoder's inputs, in both layouts.</summary>
public sealed class SpeechFamilyLoadTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    [Fact]
    public async Task MoonshineWithGraphsAtTheTop_LoadsAsMoonshine()
    {
        using var model = AudioToTextEngine.Load("moonshine-tiny", MoonshineAssets.Folder, Sessions);

        Assert.IsType<MoonshineModel>(model);
        Assert.Equal(MoonshineAssets.ExpectedJfk, (await model.TranscribeAsync(AudioFiles.ReadWav(AudioFiles.JfkWav), new TranscriptionOptions(), CancellationToken.None)).Text);
    }

    [Fact]
    public async Task MoonshineWithGraphsUnderOnnx_LoadsAndTranscribesTheSame()
    {
        var folder = MoonshineAssets.Copy(underOnnx: true);
        try
        {
            Assert.False(File.Exists(Path.Combine(folder, "encoder_model.onnx")));
            using var model = AudioToTextEngine.Load("moonshine-tiny", folder, Sessions);

            Assert.IsType<MoonshineModel>(model);
            Assert.Equal(MoonshineAssets.ExpectedJfk, (await model.TranscribeAsync(AudioFiles.ReadWav(AudioFiles.JfkWav), new TranscriptionOptions(), CancellationToken.None)).Text);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutConfigJson_TheEncodersInputNamesTheFamily(bool underOnnx)
    {
        var folder = MoonshineAssets.Copy(underOnnx, "config.json");
        try
        {
            Assert.Equal(SpeechFamily.Moonshine, AudioToTextEngine.Family("moonshine-tiny", folder, Sessions));
            using var model = AudioToTextEngine.Load("moonshine-tiny", folder, Sessions);
            var moonshine = Assert.IsType<MoonshineModel>(model);
            Assert.Equal((1, 2), (moonshine.Config.DecoderStartTokenId, moonshine.Config.EosTokenId)); // from generation_config.json
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("whisper-tiny")]
    [InlineData("whisper-large-v3")]
    public void WhisperFolders_StayWhisper(string fixture)
    {
        using var model = AudioToTextEngine.Load(fixture, TestPaths.Model("tiny", fixture), Sessions);
        Assert.IsType<WhisperModel>(model);
    }

    [Fact]
    public void AnotherModelType_IsRefusedNamingIt()
    {
        var folder = Directory.CreateTempSubdirectory("speech-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "config.json"), """{"model_type":"wav2vec2"}""");
            var error = Assert.Throws<ModelLoadException>(() => AudioToTextEngine.Load("facebook/wav2vec2-base", folder, Sessions));
            Assert.Contains("'wav2vec2'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void MoonshineWithoutItsDecoder_IsALoadError()
    {
        var folder = MoonshineAssets.Copy(underOnnx: true, "decoder_model_merged.onnx");
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => AudioToTextEngine.Load("moonshine-tiny", folder, Sessions));
            Assert.Contains("decoder_model_merged.onnx", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AFolderWithNeitherConfigNorEncoder_IsALoadError()
    {
        var folder = Directory.CreateTempSubdirectory("speech-").FullName;
        try
        {
            Assert.Throws<ModelLoadException>(() => AudioToTextEngine.Load("nothing/here", folder, Sessions));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
