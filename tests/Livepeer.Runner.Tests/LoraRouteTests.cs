using System.Globalization;
using System.Net;
using System.Text.Json;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Livepeer.Runner.Tests.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests;

/// <summary>
/// A runner whose LoRAs come from a hub stand-in (started before the runner, stopped after it) into its own
/// MODEL_DIR. Subclasses add the repositories, and may fill the cache before the runner starts.
/// </summary>
public abstract class HubLoraRunner : ConfiguredRunner
{
    private HubStandIn? _hub;

    public string ModelDir => Path.Combine(TempFolder, "cache");

    internal HubStandIn Hub => _hub!;

    public override async ValueTask InitializeAsync()
    {
        _hub = await HubStandIn.StartAsync();
        await PrepareAsync(_hub);
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_hub is not null)
            await _hub.DisposeAsync();
    }

    /// <summary>Adds the repositories the tests ask for (and anything to do before the runner starts).</summary>
    private protected abstract Task PrepareAsync(HubStandIn hub);

    /// <summary>A repository folder of <paramref name="files"/> under the runner's temporary folder, for the hub stand-in to serve.</summary>
    private protected string WriteFolder(string name, params (string File, byte[] Bytes)[] files)
    {
        var folder = Path.Combine(TempFolder, "repos", name);
        Directory.CreateDirectory(folder);
        foreach (var (file, bytes) in files)
            File.WriteAllBytes(Path.Combine(folder, file), bytes);
        return folder;
    }

    /// <summary>Pulls <paramref name="repo"/>'s safetensors into MODEL_DIR with <c>models pull</c>, as an operator would, before the runner starts.</summary>
    private protected async Task PullAsync(HubStandIn hub, string repo)
    {
        var pulled = await ModelsCli.RunAsync(new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.ToString(), ["MODEL_DIR"] = ModelDir },
            "pull", repo, "--include", "*.safetensors");
        Assert.True(pulled.Exit == 0, pulled.Error);
    }

    protected override IEnumerable<(string Name, string Value)> Settings() =>
        [("HF_ENDPOINT", Hub.Endpoint.ToString()), ("MODEL_DIR", ModelDir)];
}

/// <summary>
/// The tiny sd15 and sdxl fixtures as base models, the same fixtures with the tiny LoRA merged in torch (at 1 and 0.5)
/// as references, and the LoRA repositories (PEFT and kohya names) served by the hub stand-in, downloaded on demand
/// into this runner's own MODEL_DIR.
/// </summary>
public sealed class LoraRunner : HubLoraRunner
{
    public const string Sd15 = "tiny/sd15";
    public const string Sdxl = "tiny/sdxl";

    /// <summary>A base model used only by the cache test, so its adapter sets are its own.</summary>
    public const string Sd15Evictions = "tiny/sd15-evictions";

    /// <summary>A base model used only by the branch-growth test.</summary>
    public const string Sd15Growth = "tiny/sd15-growth";

    /// <summary>The UNet module of the sd15 fixture that <c>tiny-lora/sd15-more</c> patches and the fixture LoRA does not.</summary>
    public const string ExtraModule = "attn1.block.cross.o";

    public static string Merged(string fixture, string weight) => $"merged/{fixture}-w{weight}";

    private protected override Task PrepareAsync(HubStandIn hub)
    {
        foreach (var fixture in new[] { "sd15", "sdxl" })
        {
            foreach (var naming in new[] { "peft", "kohya" })
                hub.Add($"tiny-lora/{fixture}-{naming}", TestPaths.Model("tiny", $"lora-{fixture}", naming));
        }

        hub.Add("tiny-lora/sd15-more", WriteFolder("more", ("pytorch_lora_weights.safetensors", LoraFiles.MoreAdapter())));
        hub.Add("tiny-lora/broken", WriteFolder("broken", ("pytorch_lora_weights.safetensors", [1, 2, 3, 4, 5, 6, 7, 8, 9])));
        hub.Add("tiny-lora/elsewhere", WriteFolder("elsewhere", ("lora.safetensors", LoraFiles.F32(
            ("unet.down_blocks.0.attentions.0.proj_in.lora_A.weight", [1, 16], new float[16]),
            ("unet.down_blocks.0.attentions.0.proj_in.lora_B.weight", [16, 1], new float[16])))));
        return Task.CompletedTask;
    }

    protected override IEnumerable<object> Models()
    {
        yield return new { pipeline = "text-to-image", model_id = Sd15, warm = false, path = TestPaths.Model("tiny", "sd15") };
        yield return new { pipeline = "text-to-image", model_id = Sd15Evictions, warm = false, path = TestPaths.Model("tiny", "sd15") };
        yield return new { pipeline = "text-to-image", model_id = Sd15Growth, warm = false, path = TestPaths.Model("tiny", "sd15") };
        yield return new { pipeline = "text-to-image", model_id = Sdxl, warm = false, path = TestPaths.Model("tiny", "sdxl") };
        yield return new { pipeline = "image-to-image", model_id = Sd15, warm = false, path = TestPaths.Model("tiny", "sd15") };
        foreach (var fixture in new[] { "sd15", "sdxl" })
        {
            foreach (var weight in new[] { "1", "0.5" })
            {
                var folder = LoraFiles.MergedFolder(TempFolder, fixture, weight);
                yield return new { pipeline = "text-to-image", model_id = Merged(fixture, weight), warm = false, path = folder };
                yield return new { pipeline = "image-to-image", model_id = Merged(fixture, weight), warm = false, path = folder };
            }
        }
    }
}

/// <summary>LoRAs on /text-to-image and /image-to-image through HTTP: the merge, the cache, the errors of RUNNER-CONTRACT §5.2.</summary>
public sealed class LoraRouteTests(LoraRunner runner) : IClassFixture<LoraRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static StringContent TextToImage(string modelId, string loras, int seed = 7) => Requests.Json(
        $$"""{"prompt":"a photo of a cat","model_id":"{{modelId}}","height":48,"width":64,"guidance_scale":7.5,"num_inference_steps":3,"seed":{{seed}},"loras":{{JsonSerializer.Serialize(loras)}}}""");

    private static MultipartFormDataContent ImageToImage(string modelId, string loras) =>
        Requests.Form("image", Requests.Fixture, [("prompt", "make it snow"), ("model_id", modelId), ("strength", "0.8"),
            ("num_inference_steps", "4"), ("seed", "3"), ("loras", loras)]);

    private Task<RgbImage> ImageAsync(HttpContent request, string route = "/text-to-image") => LoraFiles.ImageAsync(_client, request, route);

    private static void AssertSame(RgbImage expected, RgbImage actual) => LoraFiles.AssertSame(expected, actual);

    [Theory]
    [InlineData("sd15", "peft", "1")]
    [InlineData("sd15", "peft", "0.5")]
    [InlineData("sd15", "kohya", "1")]
    [InlineData("sd15", "kohya", "0.5")]
    [InlineData("sdxl", "peft", "1")]
    [InlineData("sdxl", "peft", "0.5")]
    [InlineData("sdxl", "kohya", "1")]
    [InlineData("sdxl", "kohya", "0.5")]
    public async Task TextToImage_LoraAtAWeight_IsTheModelWithItMergedInTorch(string fixture, string naming, string weight)
    {
        var baseModel = fixture == "sd15" ? LoraRunner.Sd15 : LoraRunner.Sdxl;
        var withLora = await ImageAsync(TextToImage(baseModel, $$"""{"tiny-lora/{{fixture}}-{{naming}}": {{weight}}}"""));
        var merged = await ImageAsync(TextToImage(LoraRunner.Merged(fixture, weight), ""));
        var plain = await ImageAsync(TextToImage(baseModel, ""));

        AssertSame(merged, withLora);
        Assert.True(ImageMetrics.Psnr(plain.Pixels, withLora.Pixels) < 40, "the LoRA should change the image");
    }

    [Fact]
    public async Task ImageToImage_LoraIsTheModelWithItMergedInTorch()
    {
        var withLora = await ImageAsync(ImageToImage(LoraRunner.Sd15, """{"tiny-lora/sd15-peft": 1.0}"""), "/image-to-image");
        var merged = await ImageAsync(ImageToImage(LoraRunner.Merged("sd15", "1"), ""), "/image-to-image");

        AssertSame(merged, withLora);
    }

    [Theory]
    [InlineData("sd15")]
    [InlineData("sdxl")]
    public async Task LoraAtWeightZero_IsTheBaseModel(string fixture)
    {
        var baseModel = fixture == "sd15" ? LoraRunner.Sd15 : LoraRunner.Sdxl;
        var zero = await ImageAsync(TextToImage(baseModel, $$"""{"tiny-lora/{{fixture}}-kohya": 0}"""));
        var plain = await ImageAsync(TextToImage(baseModel, ""));

        Assert.Equal(plain.Pixels, zero.Pixels);
    }

    [Fact]
    public async Task TwoAdapters_AddTheirUpdates()
    {
        // The PEFT and kohya files hold the same update: both at 0.5 are the one at 1.
        var both = await ImageAsync(TextToImage(LoraRunner.Sd15, """{"tiny-lora/sd15-peft": 0.5, "tiny-lora/sd15-kohya": 0.5}"""));
        var merged = await ImageAsync(TextToImage(LoraRunner.Merged("sd15", "1"), ""));

        AssertSame(merged, both);
    }

    [Fact]
    public async Task ConcurrentRequestWithoutLoras_IsUnaffected()
    {
        var plain = await ImageAsync(TextToImage(LoraRunner.Sd15, "", seed: 21));

        // A weight no other test uses, so the adapter set is built while the other request waits or runs.
        var withLora = ImageAsync(TextToImage(LoraRunner.Sd15, """{"tiny-lora/sd15-peft": 0.75}""", seed: 21));
        var without = ImageAsync(TextToImage(LoraRunner.Sd15, "", seed: 21));
        await Task.WhenAll(withLora, without);
        var loraPixels = (await withLora).Pixels;

        Assert.Equal(plain.Pixels, (await without).Pixels);
        Assert.True(ImageMetrics.Psnr(plain.Pixels, loraPixels) < 40, "the LoRA request should have its own image");
    }

    [Fact]
    public async Task AdapterSets_AreCachedUpToTwelve_SharingOneCopyOfTheBaseWeights()
    {
        var manager = runner.Host.Services.GetRequiredService<ModelManager>();
        long Footprint() => manager.Snapshot().Models.Single(m => m.ModelId == LoraRunner.Sd15Evictions && m.Pipeline == "text-to-image").FootprintBytes;
        string Loras(int i) => $$"""{"tiny-lora/sd15-peft": {{(0.1 * (i + 1)).ToString("0.0", CultureInfo.InvariantCulture)}}}""";
        var graphs = LoraGraph.ReadFolder(TestPaths.Model("tiny", "sd15"));
        var branchBytes = graphs[LoraComponent.Unet].WeightBytes + graphs[LoraComponent.TextEncoder].WeightBytes;

        await ImageAsync(TextToImage(LoraRunner.Sd15Evictions, ""));
        var baseBytes = Footprint();
        var firstBefore = await ImageAsync(TextToImage(LoraRunner.Sd15Evictions, Loras(0)));
        var setBytes = Footprint() - baseBytes - branchBytes;
        // The first set opens the UNet's and text encoder's branch sessions (their weights once); a set is its factors.
        Assert.True(setBytes > 0, "an adapter set's factors are charged to the model");
        Assert.True(setBytes * 20 < branchBytes, $"a set ({setBytes} B) holds no copy of the base weights ({branchBytes} B)");

        for (var i = 1; i < 12; i++)
            await ImageAsync(TextToImage(LoraRunner.Sd15Evictions, Loras(i)));
        Assert.Equal(baseBytes + branchBytes + (12 * setBytes), Footprint());

        var thirteenth = await ImageAsync(TextToImage(LoraRunner.Sd15Evictions, Loras(12)));
        Assert.Equal(baseBytes + branchBytes + (12 * setBytes), Footprint());

        // The first set was evicted: asking again rebuilds it (evicting the next oldest) and gives the same image.
        var first = await ImageAsync(TextToImage(LoraRunner.Sd15Evictions, Loras(0)));
        Assert.Equal(baseBytes + branchBytes + (12 * setBytes), Footprint());
        Assert.NotEqual(thirteenth.Pixels, first.Pixels);
        Assert.Equal(firstBefore.Pixels, first.Pixels);
    }

    [Fact]
    public async Task AnAdapterOnMoreModules_ReopensTheBranchSessionOnce_AndEarlierSetsKeepTheirImages()
    {
        var manager = runner.Host.Services.GetRequiredService<ModelManager>();
        long Footprint() => manager.Snapshot().Models.Single(m => m.ModelId == LoraRunner.Sd15Growth && m.Pipeline == "text-to-image").FootprintBytes;
        var unetBytes = LoraGraph.ReadFolder(TestPaths.Model("tiny", "sd15"))[LoraComponent.Unet].WeightBytes;
        const string Fixture = """{"tiny-lora/sd15-peft": 1}""";

        var fixtureOnly = await ImageAsync(TextToImage(LoraRunner.Sd15Growth, Fixture));
        var withFixture = Footprint();
        // sd15-more patches a UNet module the fixture LoRA does not: the UNet's branch session is reopened with both.
        var more = await ImageAsync(TextToImage(LoraRunner.Sd15Growth, """{"tiny-lora/sd15-more": 1}"""));
        var both = await ImageAsync(TextToImage(LoraRunner.Sd15Growth, """{"tiny-lora/sd15-peft": 1, "tiny-lora/sd15-more": 1}"""));
        var grown = Footprint();
        var again = await ImageAsync(TextToImage(LoraRunner.Sd15Growth, Fixture));

        AssertSame(fixtureOnly, again);
        Assert.True(ImageMetrics.Psnr(fixtureOnly.Pixels, more.Pixels) < 40, "sd15-more should change the image");
        Assert.NotEqual(fixtureOnly.Pixels, both.Pixels); // two adapters add both updates
        Assert.NotEqual(more.Pixels, both.Pixels);
        Assert.True(grown - withFixture < unetBytes / 20, $"two more sets cost {grown - withFixture} B: the reopened session replaced the first ({unetBytes} B), not added to it");
        Assert.Equal(grown, Footprint());
    }

    [Fact]
    public async Task Adapters_AreDownloadedOnceIntoTheModelCache()
    {
        await ImageAsync(TextToImage(LoraRunner.Sdxl, """{"tiny-lora/sdxl-peft": 1}"""));
        await ImageAsync(TextToImage(LoraRunner.Sdxl, """{"tiny-lora/sdxl-peft": 0.5}"""));

        var snapshots = Path.Combine(runner.ModelDir, "models--tiny-lora--sdxl-peft", "snapshots");
        Assert.True(File.Exists(Path.Combine(Assert.Single(Directory.GetDirectories(snapshots)), "pytorch_lora_weights.safetensors")));
        Assert.Single(runner.Hub.Seen, r => r.PathAndQuery.StartsWith("/tiny-lora/sdxl-peft/resolve/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("nope", "Unable to parse 'nope' as JSON..")]
    [InlineData("""{"tiny-lora/sd15-peft": -1}""", "All strengths must be numbers greater than or equal to 0.0..")]
    [InlineData("""{"tiny-lora/sd15-peft": "1"}""", "All strengths must be numbers greater than or equal to 0.0..")]
    [InlineData("""{"a/a":1,"b/b":1,"c/c":1,"d/d":1,"e/e":1}""", "Too many LoRas provided. Maximum is 4..")]
    [InlineData("""{"tiny-lora/missing": 1}""", "LoRa repository 'tiny-lora/missing' not found.")]
    [InlineData("""{"tiny-lora/broken": 1}""", "Unable to load LoRas for adapter 'tiny-lora/broken'.")]
    [InlineData("""{"not a repo id": 1}""", "Unable to load LoRas for adapter 'not a repo id'.")]
    [InlineData("""{"tiny-lora/sdxl-peft": 1}""", "LoRa incompatible with base model: 'tiny/sd15'.")]
    [InlineData("""{"tiny-lora/sdxl-kohya": 1}""", "LoRa incompatible with base model: 'tiny/sd15'.")]
    [InlineData("""{"tiny-lora/elsewhere": 1}""", "LoRa incompatible with base model: 'tiny/sd15'.")]
    [InlineData("""{"tiny-lora/sd15-peft": 1, "tiny-lora/elsewhere": 0}""", "LoRa incompatible with base model: 'tiny/sd15'.")]
    public async Task Loras_AnswerTheContractsErrors(string loras, string message)
    {
        using var t2i = await _client.PostAsync("/text-to-image", TextToImage(LoraRunner.Sd15, loras));
        Assert.Equal(message, await t2i.ReadErrorAsync(HttpStatusCode.BadRequest));

        using var i2i = await _client.PostAsync("/image-to-image", ImageToImage(LoraRunner.Sd15, loras));
        Assert.Equal(message, await i2i.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task AfterAnError_TheModelStillServesLoras()
    {
        using var refused = await _client.PostAsync("/text-to-image", TextToImage(LoraRunner.Sdxl, """{"tiny-lora/sd15-kohya": 1}"""));
        Assert.Equal("LoRa incompatible with base model: 'tiny/sdxl'.", await refused.ReadErrorAsync(HttpStatusCode.BadRequest));

        AssertSame(await ImageAsync(TextToImage(LoraRunner.Merged("sdxl", "1"), "")), await ImageAsync(TextToImage(LoraRunner.Sdxl, """{"tiny-lora/sdxl-kohya": 1}""")));
    }
}

/// <summary>Safetensors bytes, merged-fixture folders and generated images for the LoRA tests.</summary>
internal static class LoraFiles
{
    /// <summary>The one image a request generates, decoded; the reply must be a valid ImageResponse.</summary>
    public static async Task<RgbImage> ImageAsync(HttpClient client, HttpContent request, string route = "/text-to-image")
    {
        using var response = await client.PostAsync(route, request);
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        var url = Assert.Single(json.GetProperty("images").EnumerateArray()).GetProperty("url").GetString()!;
        return ImageDecoder.Decode(Requests.DecodePngDataUrl(url), long.MaxValue);
    }

    /// <summary>The bar for "the same image": PSNR of at least 60 dB.</summary>
    public static void AssertSame(RgbImage expected, RgbImage actual)
    {
        var psnr = ImageMetrics.Psnr(expected.Pixels, actual.Pixels);
        Assert.True(psnr >= 60, $"PSNR {psnr:F2} dB");
    }

    /// <summary>
    /// An sd15 LoRA on one UNet module the fixture LoRA leaves alone (<see cref="LoraRunner.ExtraModule"/>), so a branch
    /// session opened for the fixture LoRA must be reopened for it.
    /// </summary>
    public static byte[] MoreAdapter()
    {
        var extra = LoraGraph.Read(LoraComponent.Unet, TestPaths.Model("tiny", "sd15", "unet", "model.onnx")).Targets[LoraRunner.ExtraModule];
        return F32(
            ($"unet.{LoraRunner.ExtraModule}.lora_A.weight", [2, extra.InFeatures], Enumerable.Range(0, 2 * (int)extra.InFeatures).Select(i => MathF.Sin(i) * 0.5f).ToArray()),
            ($"unet.{LoraRunner.ExtraModule}.lora_B.weight", [extra.OutFeatures, 2], Enumerable.Range(0, 2 * (int)extra.OutFeatures).Select(i => MathF.Cos(i) * 0.5f).ToArray()));
    }

    /// <summary>A safetensors file of F32 tensors: u64 header length, JSON header, little-endian data.</summary>
    public static byte[] F32(params (string Name, long[] Shape, float[] Values)[] tensors)
    {
        var header = new Dictionary<string, object>();
        var data = new List<byte>();
        foreach (var (name, shape, values) in tensors)
        {
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { data.Count, data.Count + (values.Length * 4) } };
            foreach (var value in values)
                data.AddRange(BitConverter.GetBytes(value));
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }

    /// <summary>The base fixture's folder with the graphs the generator re-exported with the LoRA merged at <paramref name="weight"/>.</summary>
    public static string MergedFolder(string root, string fixture, string weight) =>
        Assemble(Path.Combine(root, $"{fixture}-w{weight}"), fixture, (TestPaths.Model("tiny", $"lora-{fixture}", $"merged-w{weight}"), ""));

    /// <summary><paramref name="folder"/>: the tiny <paramref name="baseFixture"/>, then each overlay folder's files copied over its part.</summary>
    public static string Assemble(string folder, string baseFixture, params (string From, string To)[] overlays)
    {
        Copy(TestPaths.Model("tiny", baseFixture), folder);
        foreach (var (from, to) in overlays)
            Copy(from, Path.Combine(folder, to));
        return folder;
    }

    private static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
