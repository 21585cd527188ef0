using System.Text.Json;
using Livepeer.Runner.Live;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests.Live;

/// <summary><c>runners-json</c>: the document go-livepeer's <c>-liveRunnerConfig</c> loads, and the §2.2 rules it is checked against.</summary>
public sealed class RunnersJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("runners-json-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Output, string Error) Run(object[] models, params string[] args)
    {
        var config = Path.Combine(_dir, "aiModels.json");
        File.WriteAllText(config, JsonSerializer.Serialize(models));
        var variables = new Dictionary<string, string> { ["MODELS_CONFIG"] = config, ["RUNNER_EXECUTION_PROVIDER"] = "cpu", ["VERSION"] = "0.9.0" };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = RunnersJsonCommand.Run(args, name => variables.GetValueOrDefault(name), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static readonly object[] TwoModels =
    [
        new { pipeline = "text-to-image", model_id = "SG161222/RealVisXL_V4.0_Lightning", warm = false, capacity = 2, price_info = new { price = 0.5, currency = "usd", unit = "hour" } },
        new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x4", warm = false, path = TestPaths.Model("esrgan-slim", "x4") },
    ];

    [Fact]
    public void Output_IsOneSingleShotEntryPerModel_ThatPassesEveryRule()
    {
        var (code, output, error) = Run(TwoModels, "--public-url", "http://runner.lan:8000");

        Assert.True(code == 0, error);
        using var document = JsonDocument.Parse(output);
        Assert.Empty(StaticRunnerRules.Validate(document.RootElement));
        var runners = document.RootElement.GetProperty("runners").EnumerateArray().ToList();
        Assert.Equal(2, runners.Count);

        var t2i = runners[0];
        Assert.Equal("text-to-image--SG161222--RealVisXL_V4.0_Lightning", t2i.GetProperty("label").GetString());
        Assert.Equal("text-to-image/SG161222/RealVisXL_V4.0_Lightning", t2i.GetProperty("app").GetString());
        Assert.Equal("http://runner.lan:8000/live/text-to-image--SG161222--RealVisXL_V4.0_Lightning", t2i.GetProperty("runner_url").GetString());
        Assert.Equal("http://runner.lan:8000/live/text-to-image--SG161222--RealVisXL_V4.0_Lightning/health", t2i.GetProperty("health_url").GetString());
        Assert.Equal("single-shot", t2i.GetProperty("mode").GetString());
        Assert.Equal(2, t2i.GetProperty("capacity").GetInt32());
        Assert.Equal("0.9.0", t2i.GetProperty("version").GetString());
        Assert.Equal("""{"price":0.5,"currency":"usd","unit":"hour"}""", JsonSerializer.Serialize(t2i.GetProperty("price_info")));
        Assert.False(t2i.TryGetProperty("gpu", out _), "the CPU execution provider advertises no GPU");

        var upscale = runners[1];
        Assert.Equal(1, upscale.GetProperty("capacity").GetInt32());
        Assert.False(upscale.TryGetProperty("price_info", out _));
    }

    [Fact]
    public void Output_IsTheSameOnEveryRun()
    {
        Assert.Equal(Run(TwoModels, "--public-url=http://runner.lan:8000").Output, Run(TwoModels, "--public-url", "http://runner.lan:8000").Output);
    }

    [Theory]
    [InlineData("runner.lan:8000")]
    [InlineData("ftp://runner.lan")]
    [InlineData("")]
    public void BadPublicUrl_IsAConfigurationError(string url)
    {
        var (code, output, error) = Run(TwoModels, "--public-url", url);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains("--public-url", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PriceBelowOneWei_IsAnErrorNamingTheEntry()
    {
        object[] models = [new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x4", warm = false, path = TestPaths.Model("esrgan-slim", "x4"), price_info = new { price = 1e-20, unit = "720p" } }];

        var (code, output, error) = Run(models, "--public-url", "http://runner.lan:8000");

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains("label 'upscale--upscalerjs--esrgan-slim-x4'", error, StringComparison.Ordinal);
        Assert.Contains("1 wei", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"capacity":0}""", "'capacity'")]
    [InlineData("""{"capacity":1.5}""", "'capacity'")]
    [InlineData("""{"price_info":{"price":-1}}""", "'price_info.price'")]
    [InlineData("""{"price_info":{"price":1,"currency":"eur"}}""", "'price_info.currency'")]
    [InlineData("""{"price_info":{"price":1,"unit":"minute"}}""", "'price_info.unit'")]
    public void BadCapacityOrPriceInTheModelsFile_IsAnErrorNamingTheEntry(string extra, string field)
    {
        var entry = JsonSerializer.SerializeToNode(new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x4", warm = false, path = TestPaths.Model("esrgan-slim", "x4") })!.AsObject();
        foreach (var property in JsonDocument.Parse(extra).RootElement.EnumerateObject())
            entry[property.Name] = System.Text.Json.Nodes.JsonNode.Parse(property.Value.GetRawText());

        var (code, _, error) = Run([entry], "--public-url", "http://runner.lan:8000");

        Assert.Equal(2, code);
        Assert.Contains("'upscalerjs/esrgan-slim-x4'", error, StringComparison.Ordinal);
        Assert.Contains(field, error, StringComparison.Ordinal);
    }

    private const string Valid = """{"label":"a","app":"p/m","runner_url":"http://h:8000/live/a","health_url":"/health","mode":"single-shot","capacity":1}""";

    private static IReadOnlyList<string> Check(string entry, string? second = null) =>
        StaticRunnerRules.Validate(JsonDocument.Parse($$"""{"runners":[{{entry}}{{(second is null ? "" : "," + second)}}]}""").RootElement);

    private static string With(string field, string json) =>
        JsonSerializer.Serialize(JsonDocument.Parse(Valid).RootElement.EnumerateObject()
            .Where(p => p.Name != field).ToDictionary(p => p.Name, p => p.Value)
            .Concat(json.Length == 0 ? [] : [KeyValuePair.Create(field, JsonDocument.Parse(json).RootElement)]).ToDictionary());

    [Fact]
    public void Rules_AcceptAMinimalEntry() => Assert.Empty(Check(Valid));

    [Theory]
    [InlineData("label", "")]
    [InlineData("label", "\"\"")]
    [InlineData("label", "\" a\"")]
    [InlineData("runner_url", "")]
    [InlineData("runner_url", "\"/live/a\"")]
    [InlineData("runner_url", "\"ftp://h/a\"")]
    [InlineData("runner_url", "\"http://\"")]
    [InlineData("health_url", "")]
    [InlineData("health_url", "\"health\"")]
    [InlineData("health_url", "\"ftp://h/health\"")]
    [InlineData("healthy_status_code", "99")]
    [InlineData("healthy_status_code", "600")]
    [InlineData("app", "")]
    [InlineData("app", "\"p/m \"")]
    [InlineData("app", "\"pm\"")]
    [InlineData("mode", "")]
    [InlineData("mode", "\"persistent\"")]
    [InlineData("mode", "\"single_shot\"")]
    [InlineData("capacity", "")]
    [InlineData("capacity", "0")]
    [InlineData("capacity", "1.5")]
    [InlineData("capacity", "\"1\"")]
    [InlineData("routing", "\"path\"")]
    [InlineData("metadata", "\"\\ufffd\"")]
    [InlineData("gpu", "{\"id\":0,\"name\":\"H100\",\"vram_mb\":1}")]
    [InlineData("gpu", "{\"id\":\"GPU-1\",\"name\":\"H100\",\"vram_mb\":\"80GB\"}")]
    [InlineData("gpu", "3")]
    [InlineData("price_info", "{\"price\":0}")]
    [InlineData("price_info", "{\"price\":\"1\"}")]
    [InlineData("price_info", "{\"price\":1,\"currency\":\"wei\"}")]
    [InlineData("price_info", "{\"price\":1,\"unit\":\"seconds\"}")]
    [InlineData("price_info", "{\"price\":0.0000000000001,\"unit\":\"hour\"}")]
    public void Rules_RefuseEachBreach(string field, string json)
    {
        var problems = Check(With(field, json));

        Assert.Single(problems);
        Assert.StartsWith("runners[0]", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_RefuseMetadataOverOneKibibyte() =>
        Assert.Single(Check(With("metadata", JsonSerializer.Serialize(new string('x', 1025)))));

    [Fact]
    public void Rules_RefuseASlashInALabelRoutedByLabel() =>
        Assert.Single(Check(With("label", "\"a/b\"").Replace("}", ",\"routing\":\"label\"}", StringComparison.Ordinal)));

    [Fact]
    public void Rules_RefuseDuplicateLabelsAndApps()
    {
        var other = With("app", "\"p/other\"");
        Assert.Single(Check(Valid, other));
        Assert.Single(Check(Valid, With("label", "\"b\"")));
        Assert.Empty(Check(Valid, With("label", "\"b\"").Replace("p/m", "p/other", StringComparison.Ordinal)));
    }

    [Fact]
    public void Rules_RefuseADocumentWithoutRunners() =>
        Assert.NotEmpty(StaticRunnerRules.Validate(JsonDocument.Parse("[]").RootElement));
}
