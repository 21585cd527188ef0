using System.Text.Json.Nodes;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>Special ids and front-end settings read from the fixtures' own files (MODEL-FORMATS §4.3–4.4).</summary>
public sealed class WhisperConfigTests
{
    [Fact]
    public void Tiny_ForcesEnglishAndHasTheV1V2Ids()
    {
        var config = WhisperConfig.Load(TestPaths.Model("tiny", "whisper-tiny"));

        Assert.Equal(80, config.MelBins);
        Assert.Null(config.MelFilters);
        Assert.Equal(50258, config.DecoderStartTokenId);
        Assert.Equal(50257, config.EosTokenId);
        Assert.Equal(50259, config.ForcedLanguageId);
        Assert.Equal(50359, config.TaskToId["transcribe"]);
        Assert.Equal(50364, config.TimestampBegin);
        Assert.Equal(50, config.MaxInitialTimestampIndex);
        Assert.Equal([220, 50257], config.BeginSuppressTokens);
    }

    [Fact]
    public void LargeV3_LeavesTheLanguageOpenAndShiftsTheIds()
    {
        var config = WhisperConfig.Load(TestPaths.Model("tiny", "whisper-large-v3"));

        Assert.Equal(128, config.MelBins);
        Assert.Null(config.ForcedLanguageId);
        Assert.Equal(100, config.LanguageToId.Count);
        Assert.Equal(50360, config.TaskToId["transcribe"]);
        Assert.Equal(50365, config.TimestampBegin);
    }

    [Fact]
    public void EmbeddedMelFilters_AreReadFrequencyMajorAndTransposed()
    {
        var directory = Directory.CreateTempSubdirectory("whisper-config-").FullName;
        var source = TestPaths.Model("tiny", "whisper-tiny");
        File.Copy(Path.Combine(source, "generation_config.json"), Path.Combine(directory, "generation_config.json"));
        var preprocessor = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "preprocessor_config.json")))!.AsObject();
        var slaney = MelFilterBank.Slaney(80);
        // WhisperFeatureExtractor stores mel_filters as [201 frequencies][80 mels].
        preprocessor["mel_filters"] = new JsonArray([.. Enumerable.Range(0, 201).Select(f => (JsonNode)new JsonArray([.. Enumerable.Range(0, 80).Select(m => (JsonNode)JsonValue.Create(slaney[(m * 201) + f])!)]))]);
        File.WriteAllText(Path.Combine(directory, "preprocessor_config.json"), preprocessor.ToJsonString());

        var config = WhisperConfig.Load(directory);

        Assert.Equal(slaney, config.MelFilters);
    }

    [Fact]
    public void MissingGenerationConfig_IsAModelLoadError()
    {
        var directory = Directory.CreateTempSubdirectory("whisper-config-").FullName;

        Assert.Throws<ModelLoadException>(() => WhisperConfig.Load(directory));
    }

    [Fact]
    public void Load_WithoutAnyDecoder_IsAModelLoadError()
    {
        var directory = Directory.CreateTempSubdirectory("whisper-model-").FullName;
        foreach (var file in Directory.GetFiles(TestPaths.Model("tiny", "whisper-tiny")).Where(f => !Path.GetFileName(f).StartsWith("decoder", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        var sessions = new Livepeer.Runner.Onnx.OnnxSessionFactory(new Livepeer.Runner.Core.Configuration.RunnerSettings { ExecutionProvider = "cpu" });

        Assert.Throws<ModelLoadException>(() => WhisperModel.Load("broken", directory, sessions));
    }
}
