using System.Net;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>ai-runner's configuration: PIPELINE + MODEL_ID, the model found under MODEL_DIR in the Hugging Face cache layout.</summary>
public sealed class SingleModelModeTests : IAsyncLifetime
{
    private const string ModelId = "upscalerjs/esrgan-slim-x2";
    private readonly string _modelDir = Directory.CreateTempSubdirectory("model-dir-").FullName;
    private RunnerHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var snapshot = Path.Combine(_modelDir, "models--upscalerjs--esrgan-slim-x2", "snapshots", "0123abc");
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(_modelDir, "models--upscalerjs--esrgan-slim-x2", "refs"));
        await File.WriteAllTextAsync(Path.Combine(_modelDir, "models--upscalerjs--esrgan-slim-x2", "refs", "main"), "0123abc");
        File.Copy(TestPaths.Model("esrgan-slim", "x2", "model.onnx"), Path.Combine(snapshot, "model.onnx"));

        _host = await RunnerHost.StartAsync(new Dictionary<string, string>
        {
            ["PIPELINE"] = "upscale",
            ["MODEL_ID"] = ModelId,
            ["MODEL_DIR"] = _modelDir,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_modelDir, recursive: true);
    }

    [Fact]
    public async Task TheConfiguredModel_ServesAndReportsItself()
    {
        var client = _host.CreateClient();
        using var response = await client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", ModelId)));
        var media = (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("images")[0];
        Assert.Equal(256 * 256 * 3, Livepeer.Runner.Pipelines.Media.ImageDecoder.Decode(Requests.DecodePngDataUrl(media.GetProperty("url").GetString()!), long.MaxValue).Pixels.Length);

        var version = await (await client.GetAsync("/version")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("upscale", version.GetProperty("pipeline").GetString());
        Assert.Equal(ModelId, version.GetProperty("model_id").GetString());
    }

    [Fact]
    public async Task OtherPipelines_AreNotMounted()
    {
        var client = _host.CreateClient();
        using var response = await client.PostAsync("/text-to-image", Requests.Json("""{"prompt":"x"}"""));
        Assert.Equal("Not Found", (await response.ReadJsonAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task OtherModel_IsRefusedWithTheConfiguredId()
    {
        using var response = await _host.CreateClient().PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "stabilityai/stable-diffusion-x4-upscaler")));
        Assert.Equal($"pipeline configured with {ModelId} but called with stabilityai/stable-diffusion-x4-upscaler.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}
