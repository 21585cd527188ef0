using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Core.Tests;

public sealed class ModelCatalogLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("catalog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "aiModels.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void PipelineAndModelId_GiveOneWarmEntry()
    {
        var entries = ModelCatalogLoader.Load(new RunnerSettings { Pipeline = "upscale", ModelId = "org/model" });

        var entry = Assert.Single(entries);
        Assert.Equal(new ModelEntry("upscale", "org/model", Warm: true), entry);
    }

    [Fact]
    public void NothingConfigured_FailsWithAiRunnersMessage()
    {
        var error = Assert.Throws<RunnerConfigurationException>(() => ModelCatalogLoader.Load(new RunnerSettings()));
        Assert.StartsWith("Pipeline must be provided or set through the PIPELINE and MODEL_ID environment variables", error.Message);
    }

    [Fact]
    public void BothModes_AreRefused()
    {
        var path = Write("""[{"pipeline":"upscale","model_id":"a/b"}]""");
        var error = Assert.Throws<RunnerConfigurationException>(() =>
            ModelCatalogLoader.Load(new RunnerSettings { ModelsConfigPath = path, Pipeline = "upscale", ModelId = "a/b" }));
        Assert.Contains("not both", error.Message);
    }

    [Fact]
    public void ModelsConfig_ReadsEntriesAndResolvesPathsAgainstTheFile()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "x4"));
        var path = Write("""
            [
              {"pipeline":"upscale","model_id":"a/x4","warm":true,"path":"x4","url":"http://ignored","capacity":2,"price_per_unit":1},
              {"pipeline":"text-to-image","model_id":"SG161222/RealVisXL_V4.0_Lightning","price_info":{"price":0.25,"unit":"720p"}}
            ]
            """);

        var entries = ModelCatalogLoader.Load(new RunnerSettings { ModelsConfigPath = path });

        // go-livepeer's "capacity" is the Live Runner's advertised capacity; "url" and "price_per_unit" stay ignored.
        Assert.Equal(new ModelEntry("upscale", "a/x4", true, Path.Combine(_dir, "x4"), Capacity: 2), entries[0]);
        Assert.Equal(new ModelEntry("text-to-image", "SG161222/RealVisXL_V4.0_Lightning", false, Price: new LivePrice(0.25m, "720p")), entries[1]);
    }

    [Theory]
    [InlineData("""{"pipeline":"upscale"}""", "must hold a JSON array")]
    [InlineData("""[{"pipeline":"upscale","model_id":"a/b"},{"pipeline":"upscale","model_id":"a/b"}]""", "entry #2 (pipeline 'upscale', model_id 'a/b') is listed twice")]
    [InlineData("""[{"pipeline":"text-to-3d","model_id":"a/b"}]""", "entry #1 (pipeline 'text-to-3d', model_id 'a/b'): 'text-to-3d' is not a valid pipeline")]
    [InlineData("""[{"pipeline":"live-video-to-video","model_id":"a/b"}]""", "not served by this batch runner")]
    [InlineData("""[{"pipeline":"upscale","model_id":"../../etc/passwd"}]""", "is not a valid model id")]
    [InlineData("""[{"pipeline":"upscale","model_id":"/abs/path"}]""", "is not a valid model id")]
    [InlineData("""[{"pipeline":"upscale"}]""", "'model_id' is missing")]
    [InlineData("""[{"pipeline":"upscale","model_id":"a/b","warm":"yes"}]""", "'warm' must be true or false")]
    [InlineData("""[{"pipeline":"upscale","model_id":"a/b","path":"missing-folder"}]""", "missing-folder' does not exist")]
    [InlineData("""[{"pipeline":"upscale","model_id":7}]""", "'model_id' must be a string")]
    [InlineData("""[{"pipeline":"upscale","model_id":"a/b","capacity":-1}]""", "'capacity' must be a whole number of at least 1")]
    [InlineData("""[{"pipeline":"upscale","model_id":"a/b","price_info":{"price":0}}]""", "'price_info.price' must be a positive number")]
    [InlineData("""[{"pipeline":"upscale","model_id":"a/b","price_info":{"price":1,"unit":"second"}}]""", "'price_info.unit' must be one of hour, 720p, fixed")]
    [InlineData("""[ not json""", "is not valid JSON")]
    [InlineData("""[]""", "lists no models")]
    public void BadModelsConfig_FailsNamingTheEntry(string json, string expected)
    {
        var path = Write(json);
        var error = Assert.Throws<RunnerConfigurationException>(() => ModelCatalogLoader.Load(new RunnerSettings { ModelsConfigPath = path }));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void MissingModelsConfigFile_Fails()
    {
        var error = Assert.Throws<RunnerConfigurationException>(() =>
            ModelCatalogLoader.Load(new RunnerSettings { ModelsConfigPath = Path.Combine(_dir, "nope.json") }));
        Assert.Contains("does not exist", error.Message);
    }
}
