using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// One request's prompt, as <c>SAM2ImagePredictor.predict</c> takes it (RUNNER-CONTRACT §2.6): points with labels,
/// a box, a previous low-res mask, and the three flags. Built from the contract's JSON-string form fields by
/// <see cref="Parse"/>; coordinates are checked against the image by <see cref="Resolve"/>, once its size is known.
/// </summary>
public sealed record SegmentationPrompt
{
    /// <summary>More clicks than any interactive refinement uses; the cap only stops absurd payloads.</summary>
    public const int MaxPoints = 64;

    public const int MaskSide = 256;

    /// <summary>Point coordinates as x0, y0, x1, y1, …; in pixels of the original image when <see cref="NormalizeCoords"/>, else in [0, 1].</summary>
    public float[]? PointCoords { get; init; }

    /// <summary>One label per point: 1 foreground, 0 background.</summary>
    public int[]? PointLabels { get; init; }

    /// <summary>x1, y1, x2, y2, in the same space as the points.</summary>
    public float[]? Box { get; init; }

    /// <summary>256×256 low-res logits from an earlier call (its <c>logits</c>), row-major.</summary>
    public float[]? MaskInput { get; init; }

    public bool MultimaskOutput { get; init; } = true;

    public bool ReturnLogits { get; init; } = true;

    /// <summary>As SAM2ImagePredictor: true ⇒ coordinates are pixels of the image; false ⇒ already in [0, 1].</summary>
    public bool NormalizeCoords { get; init; } = true;

    public int PointCount => PointLabels?.Length ?? 0;

    /// <summary>
    /// Reads the contract's form fields (each JSON text, or null when absent). Invalid JSON gives the endpoint's
    /// message <c>Error parsing JSON for &lt;field&gt;: …</c>; wrong shapes and values give a message naming the field.
    /// </summary>
    public static SegmentationPrompt Parse(
        string? pointCoords,
        string? pointLabels,
        string? box,
        string? maskInput,
        bool multimaskOutput = true,
        bool returnLogits = true,
        bool normalizeCoords = true)
    {
        // Every field's JSON is checked before any shape, so a syntax error is reported as such whatever else is wrong.
        var coords = Read("point_coords", pointCoords, 3 * MaxPoints * 2);
        var labels = Read("point_labels", pointLabels, 3 * MaxPoints);
        var boxArray = Read("box", box, 16);
        var mask = Read("mask_input", maskInput, (MaskSide * MaskSide) + 1);

        var prompt = new SegmentationPrompt
        {
            PointCoords = coords is null ? null : Points(coords),
            PointLabels = labels is null ? null : Labels(labels),
            Box = boxArray is null ? null : BoxOf(boxArray),
            MaskInput = mask is null ? null : Mask(mask),
            MultimaskOutput = multimaskOutput,
            ReturnLogits = returnLogits,
            NormalizeCoords = normalizeCoords,
        };
        prompt.CheckConsistent();
        return prompt;
    }

    /// <summary>Checks what needs no image: labels match points, the box is ordered, there is something to segment.</summary>
    public void CheckConsistent()
    {
        if (PointCoords is not null && PointLabels is null)
            throw new BadInputException("point_labels must be supplied if point_coords is supplied.");
        if (PointLabels is not null && PointCoords is null)
            throw new BadInputException("point_coords must be supplied if point_labels is supplied.");
        if (PointCoords is not null && PointLabels is not null && PointCoords.Length != 2 * PointLabels.Length)
            throw new BadInputException($"point_labels has {PointLabels.Length} labels but point_coords has {PointCoords.Length / 2} points.");
        if (PointLabels is { Length: > MaxPoints })
            throw new BadInputException($"point_coords has {PointLabels.Length} points; at most {MaxPoints} are accepted.");
        foreach (var label in PointLabels ?? [])
        {
            if (label is not (0 or 1))
                throw new BadInputException($"point_labels must be 1 (foreground) or 0 (background), not {label}.");
        }

        if (Box is { } b && (b.Length != 4 || b[0] > b[2] || b[1] > b[3]))
            throw new BadInputException("box must be [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2.");
        if (MaskInput is { Length: not MaskSide * MaskSide })
            throw new BadInputException($"mask_input must be 1x{MaskSide}x{MaskSide} logits.");
        if (PointCoords is null && Box is null && MaskInput is null)
            throw new BadInputException("Give at least one prompt: point_coords with point_labels, box, or mask_input.");
    }

    /// <summary>The prompt in pixels of a <paramref name="width"/>×<paramref name="height"/> image; coordinates outside it are refused.</summary>
    internal ResolvedPrompt Resolve(int width, int height)
    {
        CheckConsistent();
        var (sx, sy) = NormalizeCoords ? (1f, 1f) : (width, (float)height);
        var points = PointCoords is null ? [] : Scale("point_coords", PointCoords, sx, sy, width, height);
        var box = Box is null ? null : Scale("box", Box, sx, sy, width, height);
        return new ResolvedPrompt(width, height, points, PointLabels ?? [], box, MaskInput, MultimaskOutput, ReturnLogits);
    }

    private float[] Scale(string field, float[] xy, float sx, float sy, int width, int height)
    {
        var result = new float[xy.Length];
        for (var i = 0; i < xy.Length; i += 2)
        {
            var (x, y) = (xy[i] * sx, xy[i + 1] * sy);
            // The far edge itself is allowed: a box drawn to the image border ends at x = width.
            if (x < 0 || y < 0 || x > width || y > height)
            {
                var space = NormalizeCoords ? $"the {width}x{height} image" : "[0, 1] (normalize_coords is false)";
                throw new BadInputException($"{field} has a point ({xy[i]}, {xy[i + 1]}) outside {space}.");
            }

            (result[i], result[i + 1]) = (x, y);
        }

        return result;
    }

    private static JsonNumberArray? Read(string field, string? json, int maxValues) =>
        json is null ? null : JsonNumberArray.Parse(field, json, maxValues);

    private static float[] Points(JsonNumberArray coords)
    {
        var shape = coords.ShapeUpToRank(2);
        if (shape is not ([_, 2] or [2]) || coords.Count == 0)
            throw new BadInputException($"point_coords must be an Nx2 array of (x, y) points, not shape {coords.ShapeText}.");
        return ToFloats("point_coords", coords.Values);
    }

    private static int[] Labels(JsonNumberArray labels)
    {
        if (labels.ShapeUpToRank(1).Length != 1 || labels.Count == 0)
            throw new BadInputException($"point_labels must be a length-N array, not shape {labels.ShapeText}.");
        var result = new int[labels.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var value = labels.Values[i];
            if (value != Math.Floor(value) || Math.Abs(value) > 1000)
                throw new BadInputException($"point_labels must be 1 (foreground) or 0 (background), not {value}.");
            result[i] = (int)value;
        }

        return result;
    }

    private static float[] BoxOf(JsonNumberArray box)
    {
        if (box.ShapeUpToRank(1) is not [4])
            throw new BadInputException($"box must be [x1, y1, x2, y2], not shape {box.ShapeText}.");
        return ToFloats("box", box.Values);
    }

    private static float[] Mask(JsonNumberArray mask)
    {
        if (mask.ShapeUpToRank(2) is not [MaskSide, MaskSide])
            throw new BadInputException($"mask_input must be 1x{MaskSide}x{MaskSide} logits, not shape {mask.ShapeText}.");
        return ToFloats("mask_input", mask.Values);
    }

    private static float[] ToFloats(string field, double[] values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = (float)values[i];
            if (!float.IsFinite(result[i]))
                throw new BadInputException($"{field} holds a number out of range.");
        }

        return result;
    }
}

/// <summary>A prompt checked against its image: points and box in pixels of the original image.</summary>
internal sealed record ResolvedPrompt(
    int Width,
    int Height,
    float[] Points,
    int[] Labels,
    float[]? Box,
    float[]? MaskInput,
    bool MultimaskOutput,
    bool ReturnLogits);
