using System.Numerics.Tensors;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Captioning;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Tests.Captioning;

/// <summary>
/// The engine on the tiny BLIP fixture (random weights, bert-base-uncased's real vocabulary and BLIP's special ids)
/// through real ONNX Runtime: what comes back, the prompt, stopping, the cache and cancellation. The words mean
/// nothing, so no test asserts a particular caption.
/// </summary>
public sealed class BlipModelTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private static readonly string Folder = TestPaths.Model("tiny", "blip");
    private static readonly Lazy<RgbImage> Chelsea = new(() => Image("chelsea.png"));

    private static RgbImage Image(string name) => ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", name)), 1L << 24);

    private static BlipModel Load() => BlipModel.Load("blip", Folder, Sessions);

    [Fact]
    public void Load_ReadsTheFixturesIds()
    {
        using var model = Load();

        Assert.Equal((30522, 102, 0, 20), (model.Config.BosTokenId, model.Config.SepTokenId, model.Config.PadTokenId, model.Config.MaxLength));
        Assert.Equal([30522, 1037, 3861, 1997], model.PromptIds("a picture of"));
    }

    [Theory]
    [InlineData("whisper-tiny")]
    [InlineData("sd15")]
    public void Load_AFolderThatIsNotBlip_IsRefused(string fixture)
    {
        var e = Assert.Throws<ModelLoadException>(() => BlipModel.Load(fixture, TestPaths.Model("tiny", fixture), Sessions));

        Assert.Equal(fixture, e.ModelId);
    }

    [Theory]
    [InlineData("BlipForConditionalGeneration", true)]
    [InlineData("BlipForQuestionAnswering", false)]
    public void Load_ACopyOfTheFixture_IsRefusedOnlyForAnotherBlipHead(string architecture, bool loads)
    {
        var copy = Directory.CreateTempSubdirectory("blip-head-");
        try
        {
            foreach (var file in Directory.GetFiles(Folder))
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            var configPath = Path.Combine(copy.FullName, "config.json");
            File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("BlipForConditionalGeneration", architecture, StringComparison.Ordinal));

            if (loads)
                BlipModel.Load("copy", copy.FullName, Sessions).Dispose();
            else
                Assert.Throws<ModelLoadException>(() => BlipModel.Load("copy", copy.FullName, Sessions));
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Caption_Unconditional_IsNonEmptyText()
    {
        using var model = Load();

        var caption = await model.CaptionAsync(Chelsea.Value, "", CancellationToken.None);

        Assert.False(string.IsNullOrWhiteSpace(caption));
        // Special tokens are skipped (the random weights do pick ordinary "[unused…]" vocabulary entries).
        Assert.All(new[] { "[DEC]", "[SEP]", "[CLS]", "[PAD]" }, special => Assert.DoesNotContain(special, caption, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Caption_SameImageTwice_IsTheSame()
    {
        using var model = Load();

        var first = await model.CaptionAsync(Chelsea.Value, "a picture of", CancellationToken.None);
        var second = await model.CaptionAsync(Chelsea.Value, "a picture of", CancellationToken.None);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Caption_WithPrompt_StartsWithTheLowerCasedPrompt()
    {
        using var model = Load();

        var caption = await model.CaptionAsync(Chelsea.Value, "A picture of", CancellationToken.None);

        Assert.StartsWith("a picture of", caption, StringComparison.Ordinal);
        Assert.True(caption.Length > "a picture of".Length, "the model continues the prompt");
    }

    [Fact]
    public void Generate_StopsAtSepOrMaxLengthInAll()
    {
        using var model = Load();
        var prompt = model.PromptIds("a picture of");
        var tokens = new List<int>();

        model.Caption([Chelsea.Value], "a picture of", (_, token) => tokens.Add(token), CancellationToken.None);

        // max_length 20 counts [DEC] and the prompt: at most 16 new tokens, fewer only if [SEP] came.
        Assert.InRange(tokens.Count, 1, 20 - prompt.Length);
        Assert.True(tokens.Count == 20 - prompt.Length || tokens[^1] == 102);
        Assert.DoesNotContain(102, tokens[..^1]);
    }

    [Fact]
    public void Generate_CachedDecode_EqualsFullRecomputeWithoutCache()
    {
        // The merged graph on its no-cache branch, fed the whole sequence every step: if the carried presents were
        // stale or misordered, the two greedy paths would part within a few tokens.
        using var model = Load();
        var cached = new List<int>();
        model.Caption([Chelsea.Value], "a picture of", (_, token) => cached.Add(token), CancellationToken.None);

        using var encoder = Sessions.Create("blip", Path.Combine(Folder, "encoder_model.onnx"));
        using var decoder = Sessions.Create("blip", Path.Combine(Folder, "decoder_model_merged.onnx"));
        using var pixels = OrtValue.CreateTensorValueFromMemory(model.Processor.Process(Chelsea.Value), [1, 3, 384, 384]);
        using var encoded = encoder.Run(new RunOptions(), ["pixel_values"], [pixels], ["last_hidden_state"]);
        var pastNames = decoder.InputNames.Where(n => n.StartsWith("past_key_values.", StringComparison.Ordinal)).ToArray();
        var sequence = model.PromptIds("a picture of").Select(id => (long)id).ToList();
        var recomputed = new List<int>();
        for (var step = 0; step < cached.Count; step++)
        {
            using var ids = OrtValue.CreateTensorValueFromMemory(sequence.ToArray(), [1, sequence.Count]);
            using var flag = OrtValue.CreateTensorValueFromMemory(new[] { false }, [1]);
            var pasts = pastNames.Select(_ => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [1, 2, 0, 8])).ToArray();
            try
            {
                using var outputs = decoder.Run(new RunOptions(), ["input_ids", "encoder_hidden_states", .. pastNames, "use_cache_branch"], [ids, encoded[0], .. pasts, flag], ["logits"]);
                var all = outputs[0].GetTensorDataAsSpan<float>();
                var vocab = all.Length / sequence.Count;
                var token = TensorPrimitives.IndexOfMax(all[^vocab..]);
                recomputed.Add(token);
                sequence.Add(token);
            }
            finally
            {
                foreach (var past in pasts)
                    past.Dispose();
            }
        }

        Assert.True(cached.Count > 1, "the comparison needs more than one step");
        Assert.Equal(recomputed, cached);
    }

    [Fact]
    public async Task Caption_SeveralImages_EqualsOneAtATime()
    {
        using var model = Load();
        RgbImage[] images = [Chelsea.Value, Image("coffee.png"), Image("rocket.jpg")];

        var together = await model.CaptionAsync(images, "", CancellationToken.None);

        Assert.Equal(images.Length, together.Count);
        for (var i = 0; i < images.Length; i++)
            Assert.Equal(await model.CaptionAsync(images[i], "", CancellationToken.None), together[i]);
    }

    [Fact]
    public async Task Caption_ConcurrentCalls_EachGetTheirOwnCaption()
    {
        // No lock inside the model: every call has its own buffers and cache, so callers running together must get
        // exactly what they would get alone.
        using var model = Load();
        RgbImage[] images = [Chelsea.Value, Image("coffee.png"), Image("rocket.jpg"), Image("astronaut.png")];
        var alone = new List<string>();
        foreach (var image in images)
            alone.Add(await model.CaptionAsync(image, "a picture of", CancellationToken.None));

        var together = await Task.WhenAll(images.Select(image => Task.Run(() => model.CaptionAsync(image, "a picture of", CancellationToken.None))));

        Assert.Equal(alone, together);
    }

    [Fact]
    public async Task Caption_AlreadyCancelled_Throws()
    {
        using var model = Load();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => model.CaptionAsync(Chelsea.Value, "", cancellation.Token));
    }

    [Fact]
    public void Caption_CancelledAfterTheThirdToken_StopsBeforeTheFourth()
    {
        using var model = Load();
        using var cancellation = new CancellationTokenSource();
        var tokens = 0;

        Assert.ThrowsAny<OperationCanceledException>(() => model.Caption([Chelsea.Value], "", (_, _) =>
        {
            if (++tokens == 3)
                cancellation.Cancel();
        }, cancellation.Token));
        Assert.Equal(3, tokens);
    }

    [Fact]
    public async Task Caption_APromptLongerThanThePositionTable_IsBadInput()
    {
        using var model = Load();
        var prompt = string.Join(' ', Enumerable.Repeat("cat", 600));

        await Assert.ThrowsAsync<BadInputException>(() => model.CaptionAsync(Chelsea.Value, prompt, CancellationToken.None));
    }
}
