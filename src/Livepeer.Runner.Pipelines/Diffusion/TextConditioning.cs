namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>The positive and negative conditioning of one request, computed once and reused for each of its images.</summary>
public sealed record TextConditioning(TextEmbedding Positive, TextEmbedding Negative)
{
    /// <summary>
    /// SD1.5 and instruct-pix2pix: <c>last_hidden_state</c> of the prompt and of the negative prompt ("" when absent).
    /// SDXL: each encoder's penultimate hidden states concatenated on the last axis, the second encoder's pooled
    /// <c>text_embeds</c>; with no negative prompt and <c>force_zeros_for_empty_prompt</c>, zeros (MODEL-FORMATS §1.4).
    /// The negative branch is encoded only when guidance needs it.
    /// </summary>
    public static TextConditioning Encode(DiffusionModel model, DiffusionRequest request, bool guided, CancellationToken cancellationToken)
    {
        var prompt = request.Prompts.Count > 0 ? request.Prompts[0] : "";
        var negative = request.NegativePrompts.Count > 0 ? request.NegativePrompts[0] : "";
        if (model.TextEncoder2 is not { } second)
        {
            var positive = model.TextEncoder.EncodeLast(prompt, cancellationToken);
            var uncond = guided ? model.TextEncoder.EncodeLast(negative, cancellationToken) : positive;
            return new TextConditioning(positive, uncond);
        }

        var xlPositive = EncodeXl(model.TextEncoder, second, prompt, request.Prompts.Count > 1 ? request.Prompts[1] : prompt, cancellationToken);
        TextEmbedding xlNegative;
        if (!guided)
            xlNegative = xlPositive;
        else if (request.NegativePrompts.Count == 0 && model.ForceZerosForEmptyPrompt)
            xlNegative = TextEmbedding.Zeros(xlPositive.SequenceLength, xlPositive.Width, xlPositive.Pooled!.Length);
        else
            xlNegative = EncodeXl(model.TextEncoder, second, negative, request.NegativePrompts.Count > 1 ? request.NegativePrompts[1] : negative, cancellationToken);
        return new TextConditioning(xlPositive, xlNegative);
    }

    private static TextEmbedding EncodeXl(ClipTextEncoder first, ClipTextEncoder second, string prompt, string prompt2, CancellationToken cancellationToken)
    {
        var a = first.EncodePenultimate(prompt, cancellationToken);
        var b = second.EncodePenultimate(prompt2, cancellationToken);
        var length = Math.Min(a.SequenceLength, b.SequenceLength);
        var width = a.Width + b.Width;
        var hidden = new float[length * width];
        SideBySide(a, b, hidden, width);
        return new TextEmbedding(hidden, length, width, b.Pooled);
    }

    /// <summary>
    /// Two encoders' states concatenated on the last axis (<paramref name="a"/> ‖ <paramref name="b"/>) into rows of
    /// <paramref name="width"/> (what is left of a row stays as it is: SD3 pads with zeros), for the tokens both have.
    /// </summary>
    internal static void SideBySide(TextEmbedding a, TextEmbedding b, Span<float> destination, int width)
    {
        var length = Math.Min(a.SequenceLength, b.SequenceLength);
        for (var t = 0; t < length; t++)
        {
            a.Hidden.AsSpan(t * a.Width, a.Width).CopyTo(destination[(t * width)..]);
            b.Hidden.AsSpan(t * b.Width, b.Width).CopyTo(destination[((t * width) + a.Width)..]);
        }
    }
}
