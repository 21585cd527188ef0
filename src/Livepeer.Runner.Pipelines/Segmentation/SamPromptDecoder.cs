using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// What a decoder run gives back: <see cref="Count"/> candidate masks as raw 256² low-res logits, the same masks at the
/// original image size when the graph makes them itself (else null: they are upsampled here), and one score each.
/// </summary>
internal sealed record DecodedMasks(int Count, float[] LowRes, float[]? FullSize, float[] Scores);

/// <summary>The prompt decoder graph of one export dialect: builds its inputs from a prompt and reads its outputs.</summary>
internal abstract class SamPromptDecoder(InferenceSession session) : IDisposable
{
    public const int LowResSide = SegmentationPrompt.MaskSide;

    protected InferenceSession Session { get; } = session;

    public abstract SegmentationDialect Dialect { get; }

    /// <summary>The decoder inputs the encoder must fill (the image features), by name.</summary>
    public abstract IReadOnlyList<string> EmbeddingInputs { get; }

    public abstract DecodedMasks Decode(ImageEmbedding embedding, ResolvedPrompt prompt, CancellationToken cancellationToken);

    /// <summary>Runs with the named inputs (the embeddings added by name), then disposes the inputs it made.</summary>
    protected IDisposableReadOnlyCollection<OrtValue> Run(
        ImageEmbedding embedding, List<(string Name, OrtValue Value)> inputs, string[] outputs, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var tensor in embedding.Tensors)
                inputs.Add((tensor.Name, OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape)));
            return OnnxRun.Run(Session, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), outputs, cancellationToken);
        }
        finally
        {
            foreach (var (_, value) in inputs)
                value.Dispose();
        }
    }

    protected OrtValue Input(string name, float[] values, params long[] shape) =>
        SamTensors.Create(Session.InputMetadata[name], values, shape);

    protected bool HasInput(string name) => Session.InputMetadata.ContainsKey(name);

    protected bool HasOutput(string name) => Session.OutputMetadata.ContainsKey(name);

    /// <summary>Checks a <c>[1, M, side, side]</c>-style output and returns M.</summary>
    protected static int MaskCount(long[] shape, string name, long height, long width)
    {
        if (shape[0] != 1 || shape[^2] != height || shape[^1] != width)
            throw new InferenceException($"The decoder's {name} has shape [{string.Join(",", shape)}], expected [1, M, {height}, {width}].");
        return (int)(shape.Length == 5 ? shape[1] * shape[2] : shape[1]);
    }

    protected static float[] Scores(float[] scores, int count, string name)
    {
        if (scores.Length != count)
            throw new InferenceException($"The decoder's {name} has {scores.Length} scores for {count} masks.");
        return scores;
    }

    public void Dispose() => Session.Dispose();
}
