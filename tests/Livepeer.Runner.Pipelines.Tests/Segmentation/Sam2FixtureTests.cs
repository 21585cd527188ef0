using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Segmentation;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>The tiny SAM 2 fixtures of three export dialects (models/tiny/README.md) through the whole engine.</summary>
public sealed class Sam2FixtureTests
{
    private const int Width = 320;
    private const int Height = 200;

    public static TheoryData<string, SegmentationDialect, int> Fixtures => new()
    {
        { "sam2", SegmentationDialect.Sam2, 1 },
        { "sam2-samexporter", SegmentationDialect.Sam2Samexporter, 3 },
        { "sam2-transformersjs", SegmentationDialect.Sam2TransformersJs, 3 },
    };

    public static TheoryData<string> MaskPromptFixtures => new() { "sam2", "sam2-samexporter" };

    private static SegmentationModel Load(string fixture) =>
        SegmentationModel.Load(fixture, TestPaths.Model("tiny", fixture), MiniSamFixture.Sessions);

    /// <summary>A gradient with a bright disc, so the encoder sees structure.</summary>
    internal static RgbImage Picture(int width = Width, int height = Height)
    {
        var image = new RgbImage(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var at = ((y * width) + x) * 3;
                var inside = ((x - 200) * (x - 200)) + ((y - 90) * (y - 90)) < 50 * 50;
                image.Pixels[at] = (byte)(inside ? 250 : x * 255 / width);
                image.Pixels[at + 1] = (byte)(inside ? 40 : y * 255 / height);
                image.Pixels[at + 2] = (byte)(inside ? 30 : 128);
            }
        }

        return image;
    }

    private static SegmentationPrompt Click(bool multimask = true, string? maskInput = null, bool returnLogits = true) =>
        SegmentationPrompt.Parse("[[200, 90], [40, 150]]", "[1, 0]", null, maskInput, multimask, returnLogits);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Load_RecognisesTheDialectFromTheGraphs(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);

        Assert.Equal(dialect, model.Dialect);
        Assert.True(masks > 0);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Click_ReturnsEveryOutputInTheContractsShape(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);

        var result = await model.SegmentAsync(Picture(), Click(), CancellationToken.None);

        Assert.Equal(dialect, model.Dialect);
        Assert.Equal(masks, result.Count);
        Assert.Equal((Width, Height), (result.Width, result.Height));
        Assert.Equal(masks * Width * Height, result.Masks.Length);
        Assert.Equal(masks * 256 * 256, result.Logits.Length);
        Assert.All(result.Masks, v => Assert.True(float.IsFinite(v)));
        Assert.All(result.Logits, v => Assert.InRange(v, -32f, 32f));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Masks_AreSortedByDescendingScore(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);

        var result = await model.SegmentAsync(Picture(), Click(), CancellationToken.None);

        Assert.Equal(masks, result.Count);
        Assert.Equal(result.Scores.OrderByDescending(s => s), result.Scores);
        Assert.True(dialect == SegmentationDialect.Sam2 || result.Scores.Distinct().Count() == masks, "three distinct scores make the order observable");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task MultimaskFalse_ReturnsTheBestScoringMaskOnly(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);
        var all = await model.SegmentAsync(Picture(), Click(), CancellationToken.None);

        var one = await model.SegmentAsync(Picture(), Click(multimask: false), CancellationToken.None);

        Assert.Equal(masks, all.Count);
        Assert.Equal(1, one.Count);
        Assert.Equal(all.Scores[0], one.Scores[0]);
        Assert.Equal(all.Mask(0).ToArray(), one.Mask(0).ToArray());
        Assert.NotEqual(SegmentationDialect.SamV1, dialect);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task ReturnLogitsFalse_ThresholdsTheLogitsAtZero(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);
        var logits = await model.SegmentAsync(Picture(), Click(), CancellationToken.None);

        var binary = await model.SegmentAsync(Picture(), Click(returnLogits: false), CancellationToken.None);

        Assert.Equal(masks, binary.Count);
        Assert.Equal(logits.Masks.Select(v => v > 0 ? 1f : 0f), binary.Masks);
        Assert.Equal(logits.Logits, binary.Logits);
        Assert.NotEqual(SegmentationDialect.SamV1, dialect);
    }

    [Theory]
    [MemberData(nameof(MaskPromptFixtures))]
    public async Task LogitsOfOneCall_GoBackAsMaskInputOfTheNext(string fixture)
    {
        using var model = Load(fixture);
        var first = await model.SegmentAsync(Picture(), Click(), CancellationToken.None);
        // The client sends back the text it received: the Python list of one 256×256 logit plane.
        var json = System.Text.Json.JsonDocument.Parse(SegmentationResponseWriter.ToJson(first)).RootElement.GetProperty("logits").GetString()!;
        var firstPlane = json[..(json.IndexOf("]]", StringComparison.Ordinal) + 2)] + "]";

        var refined = await model.SegmentAsync(Picture(), Click(maskInput: firstPlane), CancellationToken.None);

        Assert.Equal(first.Count, refined.Count);
        Assert.NotEqual(first.Logits, refined.Logits); // has_mask_input = 1 changes the decoder's dense prompt
        Assert.Equal(1, model.EncoderRuns);
    }

    [Fact]
    public async Task MaskInput_IsRefusedByTheTransformersJsExport()
    {
        using var model = Load("sam2-transformersjs");
        var mask = "[" + string.Join(", ", Enumerable.Repeat("[" + string.Join(", ", Enumerable.Repeat("0.5", 256)) + "]", 256)) + "]";

        var error = await Assert.ThrowsAsync<BadInputException>(() => model.SegmentAsync(Picture(), Click(maskInput: mask), CancellationToken.None));

        Assert.Contains("mask_input", error.Message);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task BoxAlone_IsAPrompt(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);

        var result = await model.SegmentAsync(Picture(), SegmentationPrompt.Parse(null, null, "[150, 40, 250, 140]", null), CancellationToken.None);

        Assert.Equal(masks, result.Count);
        Assert.Equal(dialect, model.Dialect);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task UnnormalizedCoords_AreFractionsOfTheImage(string fixture, SegmentationDialect dialect, int masks)
    {
        using var model = Load(fixture);
        var pixels = await model.SegmentAsync(Picture(), SegmentationPrompt.Parse("[[160, 50]]", "[1]", "[80, 20, 240, 180]", null), CancellationToken.None);

        var fractions = await model.SegmentAsync(
            Picture(), SegmentationPrompt.Parse("[[0.5, 0.25]]", "[1]", "[0.25, 0.1, 0.75, 0.9]", null, normalizeCoords: false), CancellationToken.None);

        Assert.Equal(masks, fractions.Count);
        Assert.Equal(pixels.Scores, fractions.Scores);
        Assert.Equal(pixels.Logits, fractions.Logits);
        Assert.NotEqual(SegmentationDialect.SamV1, dialect);
    }

    [Fact]
    public async Task Sam2Upsampling_MatchesTheGraphsOwnResizeToTheImage()
    {
        // Dialect A can resize in the graph (orig_im_size); the engine asks for 256² and resizes itself. Both are
        // bilinear with align_corners=False, so running the graph at the image size must give the same masks.
        using var model = Load("sam2");
        var picture = Picture();
        var result = await model.SegmentAsync(picture, SegmentationPrompt.Parse("[[200, 90]]", "[1]", null, null), CancellationToken.None);

        var expected = RunDialectADirectly(picture, 200f * 1024 / Width, 90f * 1024 / Height);

        Assert.Equal(expected.Length, result.Masks.Length);
        var worst = expected.Select((v, i) => Math.Abs(v - result.Masks[i])).Max();
        Assert.True(worst < 1e-3, $"max difference {worst}");
    }

    [Fact]
    public async Task ConcurrentRequests_OnOneModel_GiveEachTheSameAnswer()
    {
        using var model = Load("sam2-transformersjs");
        var pictures = new[] { Picture(), Picture(160, 100), Picture(), Picture(160, 100) };
        var expected = new List<SegmentationResult>();
        foreach (var picture in pictures[..2])
            expected.Add(await model.SegmentAsync(picture, SegmentationPrompt.Parse("[[100, 50]]", "[1]", null, null), CancellationToken.None));

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            model.SegmentAsync(pictures[i % 4], SegmentationPrompt.Parse("[[100, 50]]", "[1]", null, null), CancellationToken.None)));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(expected[i % 2].Scores, results[i].Scores);
            Assert.Equal(expected[i % 2].Masks, results[i].Masks);
        }

        Assert.Equal(2, model.EncoderRuns); // both images stayed cached, so no request ran the encoder again
    }

    [Fact]
    public async Task EmbeddingCache_KeepsTheLastFewImagesOnly()
    {
        using var model = Load("sam2");
        var prompt = SegmentationPrompt.Parse("[[10, 10]]", "[1]", null, null);
        for (var i = 0; i <= SegmentationModel.CachedImages; i++)
            await model.SegmentAsync(Picture(100 + i, 50), prompt, CancellationToken.None);
        Assert.Equal(SegmentationModel.CachedImages + 1, model.EncoderRuns);

        await model.SegmentAsync(Picture(100 + SegmentationModel.CachedImages, 50), prompt, CancellationToken.None); // the newest: cached
        await model.SegmentAsync(Picture(100, 50), prompt, CancellationToken.None); // the oldest: evicted

        Assert.Equal(SegmentationModel.CachedImages + 2, model.EncoderRuns);
    }

    [Fact]
    public async Task CancelledRequest_Throws()
    {
        using var model = Load("sam2");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => model.SegmentAsync(Picture(), Click(), cancelled.Token));
    }

    private static float[] RunDialectADirectly(RgbImage picture, float x, float y)
    {
        using var encoder = new InferenceSession(TestPaths.Model("tiny", "sam2", "encoder.onnx"));
        using var decoder = new InferenceSession(TestPaths.Model("tiny", "sam2", "decoder.onnx"));
        using var image = OrtValue.CreateTensorValueFromMemory(SamImageEncoder.Preprocess(picture, SamPreprocessing.Square), [1, 3, 1024, 1024]);
        using var features = encoder.Run(new RunOptions(), ["image"], [image], ["high_res_feats_0", "high_res_feats_1", "image_embed"]);
        using var coords = OrtValue.CreateTensorValueFromMemory(new[] { x, y }, [1, 1, 2]);
        using var labels = OrtValue.CreateTensorValueFromMemory(new[] { 1f }, [1, 1]);
        using var mask = OrtValue.CreateTensorValueFromMemory(new float[256 * 256], [1, 1, 256, 256]);
        using var hasMask = OrtValue.CreateTensorValueFromMemory(new[] { 0f }, [1]);
        using var size = OrtValue.CreateTensorValueFromMemory(new[] { Height, Width }, [2]);
        using var outputs = decoder.Run(
            new RunOptions(),
            ["image_embed", "high_res_feats_0", "high_res_feats_1", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"],
            [features[2], features[0], features[1], coords, labels, mask, hasMask, size],
            ["masks"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
