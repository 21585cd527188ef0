using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// The text conditioning of a Flux or SD3 request, as the diffusers pipelines' <c>encode_prompt</c> builds it. Prompts
/// are <c>prompt</c>, <c>prompt_2</c>, <c>prompt_3</c> (text-to-image splits on '|'); a missing one is the first.
/// </summary>
public static class TransformerTextConditioning
{
    /// <summary>
    /// Flux: CLIP-L's <c>pooler_output</c> of <c>prompt</c> and T5's states of <c>prompt_2</c>, padded to
    /// <see cref="TransformerDiffusionModel.T5Length"/> tokens. Flux has no negative branch (the contract drops
    /// <c>negative_prompt</c> for it).
    /// </summary>
    public static TextEmbedding Flux(TransformerDiffusionModel model, IReadOnlyList<string> prompts, CancellationToken cancellationToken)
    {
        var (clipPrompt, t5Prompt, _) = Parts(prompts);
        var pooled = model.Clip.EncodePooler(clipPrompt, cancellationToken);
        var t5 = model.T5!.Encode(t5Prompt, model.T5Length, cancellationToken);
        return t5 with { Pooled = pooled };
    }

    /// <summary>
    /// SD3: both CLIPs' penultimate states side by side (CLIP-L ‖ CLIP-G), zero-padded to T5's width, then T5's states
    /// of <c>prompt_3</c> appended along the sequence (77 + 256 tokens); pooled = CLIP-L ‖ CLIP-G <c>text_embeds</c>.
    /// Without a T5 encoder its part is zeros of the transformer's text width, as diffusers does.
    /// </summary>
    public static TextEmbedding StableDiffusion3(TransformerDiffusionModel model, IReadOnlyList<string> prompts, CancellationToken cancellationToken)
    {
        var (prompt, prompt2, prompt3) = Parts(prompts);
        var a = model.Clip.EncodePenultimate(prompt, cancellationToken);
        var b = model.Clip2!.EncodePenultimate(prompt2, cancellationToken);
        var t5 = model.T5?.Encode(prompt3, model.T5Length, cancellationToken);
        var width = t5?.Width ?? model.Transformer.TextWidth;
        var clipLength = Math.Min(a.SequenceLength, b.SequenceLength);
        var t5Length = t5?.SequenceLength ?? model.T5Length;
        if (width <= 0)
            throw new InferenceException($"{model.ModelId} has no T5 encoder and its transformer does not fix the text width, so its T5 part cannot be zeros.");
        if (a.Width + b.Width > width)
            throw new InferenceException($"The CLIP states of {model.ModelId} are {a.Width} + {b.Width} wide, wider than the {width} of its T5 part.");

        var hidden = new float[(clipLength + t5Length) * width];
        TextConditioning.SideBySide(a, b, hidden, width);
        t5?.Hidden.CopyTo(hidden, clipLength * width);
        return new TextEmbedding(hidden, clipLength + t5Length, width, [.. a.Pooled!, .. b.Pooled!]);
    }

    private static (string First, string Second, string Third) Parts(IReadOnlyList<string> prompts)
    {
        var first = prompts.Count > 0 ? prompts[0] : "";
        return (first, prompts.Count > 1 ? prompts[1] : first, prompts.Count > 2 ? prompts[2] : first);
    }
}
