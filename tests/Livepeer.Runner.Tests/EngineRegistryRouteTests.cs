using System.Net;
using Livepeer.Runner.Endpoints;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests;

/// <summary>The ESRGAN x2 model on a build whose registry has no upscale engine.</summary>
public sealed class NoUpscaleEngineRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "upscale", model_id = "upscalerjs/esrgan-slim-x2", warm = false, path = Path.Combine(TestPaths.Model("esrgan-slim"), "x2") },
    ];

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(new EngineRegistry(EngineRegistry.Default.Engines.Where(e => e.Name != "upscale")));
}

/// <summary>Whether a route runs is the engine registry's answer, and /hardware/info reads the same registry.</summary>
public sealed class EngineRegistryRouteTests(NoUpscaleEngineRunner runner) : IClassFixture<NoUpscaleEngineRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    [Fact]
    public async Task UnregisteredEngine_RouteAnswersTheContracts500_AfterItsChecks()
    {
        using var wrongModel = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "other/model")));
        Assert.StartsWith("pipeline configured with", await wrongModel.ReadErrorAsync(HttpStatusCode.BadRequest), StringComparison.Ordinal);

        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x")));
        Assert.Equal("The upscale engine is not built into this runner yet, so model upscalerjs/esrgan-slim-x2 cannot run.",
            await response.ReadErrorAsync(HttpStatusCode.InternalServerError));
    }

    [Fact]
    public async Task HardwareInfo_ListsTheRegisteredEngines()
    {
        using var response = await _client.GetAsync("/hardware/info");
        var engines = (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("engines").EnumerateArray()
            .Select(e => e.GetProperty("name").GetString()).ToList();

        Assert.DoesNotContain("upscale", engines);
        Assert.Contains("diffusion", engines);
    }
}

/// <summary>The default registry: every engine's pipelines have a route that can run them, and a registered engine's route answers.</summary>
public sealed class DefaultEngineRegistryTests(ManyModelsRunner runner) : IClassFixture<ManyModelsRunner>
{
    [Fact]
    public void EveryRegisteredPipeline_HasAnEndpointThatRuns_AndEveryOtherHasNone()
    {
        var registry = EngineRegistry.Default;
        foreach (var endpoint in PipelineEndpoints.All(runner.Host.Services))
            Assert.True(endpoint.HasRunStep == registry.IsBuilt(endpoint.Contract.Pipeline), endpoint.Contract.Pipeline);
    }

    [Fact]
    public async Task RegisteredEngine_RouteAnswers()
    {
        using var client = runner.Host.CreateClient();
        using var response = await client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "upscalerjs/esrgan-slim-x2")));

        Assert.Single((await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("images").EnumerateArray());
    }

    [Fact]
    public async Task HardwareInfo_ListsEachEngineWithItsPipelinesAndPrerequisites()
    {
        using var client = runner.Host.CreateClient();
        using var response = await client.GetAsync("/hardware/info");
        var speech = (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("engines").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "speech-recognition");

        Assert.Equal(["audio-to-text"], speech.GetProperty("pipelines").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["ffmpeg"], speech.GetProperty("prerequisites").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(1, speech.GetProperty("concurrency").GetInt32());
    }

    [Fact]
    public void Registry_RefusesTwoEnginesForOnePipeline()
    {
        var engines = EngineRegistry.Default.Engines;
        var error = Assert.Throws<ArgumentException>(() => new EngineRegistry([.. engines, engines[0]]));
        Assert.Contains(engines[0].Pipelines[0], error.Message, StringComparison.Ordinal);
    }
}
