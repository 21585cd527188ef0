using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Segmentation;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>The contract's JSON-string prompt fields: what is accepted, and the message of each refusal.</summary>
public sealed class SegmentationPromptTests
{
    private static BadInputException Refused(string? coords, string? labels, string? box = null, string? mask = null) =>
        Assert.Throws<BadInputException>(() => SegmentationPrompt.Parse(coords, labels, box, mask));

    [Fact]
    public void Parse_ReadsPointsLabelsAndBox()
    {
        var prompt = SegmentationPrompt.Parse("[[120, 200], [10.5, 20]]", "[1, 0]", "[1, 2, 300, 400]", null, multimaskOutput: false, returnLogits: false);

        Assert.Equal([120f, 200f, 10.5f, 20f], prompt.PointCoords!);
        Assert.Equal([1, 0], prompt.PointLabels!);
        Assert.Equal([1f, 2f, 300f, 400f], prompt.Box!);
        Assert.False(prompt.MultimaskOutput);
        Assert.False(prompt.ReturnLogits);
        Assert.True(prompt.NormalizeCoords);
    }

    [Theory]
    [InlineData("[[1, 2]]", "[1]")]
    [InlineData("[1, 2]", "[1]")]
    [InlineData("[[[1, 2]]]", "[[1]]")]
    [InlineData("[[1, 2]]", "[1.0]")]
    public void Parse_AcceptsABatchOfOneAndFloatLabels(string coords, string labels)
    {
        var prompt = SegmentationPrompt.Parse(coords, labels, null, null);

        Assert.Equal([1f, 2f], prompt.PointCoords!);
        Assert.Equal([1], prompt.PointLabels!);
    }

    [Fact]
    public void Parse_ReadsAMaskInputOf256By256()
    {
        var row = "[" + string.Join(", ", Enumerable.Range(0, 256).Select(i => i % 2 == 0 ? "-1.5" : "2")) + "]";
        var mask = "[[" + string.Join(", ", Enumerable.Repeat(row, 256)) + "]]";

        var prompt = SegmentationPrompt.Parse(null, null, null, mask);

        Assert.Equal(256 * 256, prompt.MaskInput!.Length);
        Assert.Equal(-1.5f, prompt.MaskInput[0]);
        Assert.Equal(2f, prompt.MaskInput[^1]);
    }

    [Theory]
    [InlineData("point_coords", "[[1, 2]", "[1]")]
    [InlineData("point_labels", "[[1, 2]]", "[1,]")]
    [InlineData("box", null, null, "[1, 2, 3")]
    [InlineData("mask_input", null, null, null, "{\"a\": }")]
    public void InvalidJson_GivesTheEndpointsMessage(string field, string? coords, string? labels, string? box = null, string? mask = null)
    {
        var error = Refused(coords, labels, box, mask);

        Assert.StartsWith($"Error parsing JSON for {field}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidJson_CarriesTheParsersMessageUnchanged()
    {
        string expected;
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse("[[1, 2]");
            throw new InvalidOperationException("unreachable");
        }
        catch (System.Text.Json.JsonException e)
        {
            expected = "Error parsing JSON for point_coords: " + e.Message;
        }

        Assert.Equal(expected, Refused("[[1, 2]", "[1]").Message);
    }

    [Theory]
    [InlineData("[[1, 2, 3]]", "[1]", "point_coords")]
    [InlineData("[[1, 2], [3]]", "[1, 1]", "point_coords")]
    [InlineData("[]", "[]", "point_coords")]
    [InlineData("[[1, \"a\"]]", "[1]", "point_coords")]
    [InlineData("{\"x\": 1}", "[1]", "point_coords")]
    [InlineData("[[1, 2]]", "[1, 1]", "point_labels")]
    [InlineData("[[1, 2]]", "[2]", "point_labels")]
    [InlineData("[[1, 2]]", "[0.5]", "point_labels")]
    [InlineData("[[1, 2]]", "[[1, 0]]", "point_labels")]
    [InlineData("[[1, 2]]", null, "point_labels")]
    [InlineData(null, "[1]", "point_coords")]
    [InlineData("[[1, 1e400]]", "[1]", "point_coords")]
    public void WrongPoints_AreRefusedNamingTheField(string? coords, string? labels, string field)
    {
        Assert.Contains(field, Refused(coords, labels).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2, 3]")]
    [InlineData("[[1, 2, 3, 4], [1, 2, 3, 4]]")]
    [InlineData("[300, 10, 200, 40]")]
    [InlineData("[0, 50, 10, 40]")]
    public void WrongBox_IsRefusedNamingTheField(string box)
    {
        Assert.Contains("box", Refused(null, null, box).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[[1, 2], [3, 4]]")]
    [InlineData("[1, 2, 3]")]
    public void WrongMaskInput_IsRefusedNamingTheField(string mask)
    {
        Assert.Contains("mask_input", Refused(null, null, null, mask).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyPoints_AreRefused()
    {
        var coords = "[" + string.Join(", ", Enumerable.Repeat("[1, 2]", SegmentationPrompt.MaxPoints + 1)) + "]";
        var labels = "[" + string.Join(", ", Enumerable.Repeat("1", SegmentationPrompt.MaxPoints + 1)) + "]";

        Assert.Contains("point_coords", Refused(coords, labels).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoPrompt_IsRefused()
    {
        Assert.Contains("point_coords", Refused(null, null).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonNull_CountsAsAbsent()
    {
        var prompt = SegmentationPrompt.Parse("[[1, 2]]", "[1]", "null", null);

        Assert.Null(prompt.Box);
    }

    [Theory]
    [InlineData("[[641, 10]]", null, true, "point_coords")]
    [InlineData("[[-1, 10]]", null, true, "point_coords")]
    [InlineData("[[10, 480.5]]", null, true, "point_coords")]
    [InlineData("[[0.5, 1.5]]", null, false, "point_coords")]
    [InlineData("[[10, 10]]", "[0, 0, 700, 100]", true, "box")]
    [InlineData("[[0.5, 0.5]]", "[0, 0, 2, 1]", false, "box")]
    public void CoordinatesOutsideTheImage_AreRefusedNamingTheField(string coords, string? box, bool normalize, string field)
    {
        var prompt = SegmentationPrompt.Parse(coords, "[1]", box, null, normalizeCoords: normalize);

        var error = Assert.Throws<BadInputException>(() => prompt.Resolve(640, 480));

        Assert.StartsWith(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CoordinatesOnTheFarEdge_AreInside()
    {
        var prompt = SegmentationPrompt.Parse("[[640, 480]]", "[1]", "[0, 0, 640, 480]", null);

        var resolved = prompt.Resolve(640, 480);

        Assert.Equal([640f, 480f], resolved.Points);
        Assert.Equal([0f, 0f, 640f, 480f], resolved.Box!);
    }

    [Fact]
    public void UnnormalizedCoordinates_AreScaledToPixels()
    {
        var resolved = SegmentationPrompt.Parse("[[0.5, 0.25]]", "[1]", null, null, normalizeCoords: false).Resolve(640, 480);

        Assert.Equal([320f, 120f], resolved.Points);
    }
}
