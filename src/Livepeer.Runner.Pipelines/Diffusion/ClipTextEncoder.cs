using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>One prompt's text conditioning: <c>[sequence, width]</c> hidden states and, for SDXL's second encoder, the pooled projection.</summary>
public sealed record TextEmbedding(float[] Hidden, int SequenceLength, int Width, float[]? Pooled)
{
    public static TextEmbedding Zeros(int sequenceLength, int width, int? pooledWidth) =>
        new(new float[sequenceLength * width], sequenceLength, width, pooledWidth is { } p ? new float[p] : null);
}

/// <summary>
/// A CLIP text encoder graph with its tokenizer. <c>input_ids</c> is bound with the element type the graph declares
/// (i64 in optimum ≥ 1.24, i32 in older and legacy exports, MODEL-FORMATS §1.2); hidden states are read as float32
/// whether the export gives float32 or float16.
/// </summary>
public sealed class ClipTextEncoder : IDisposable
{
    internal const string InputIds = "input_ids";

    /// <summary>The pooled output: optimum's <c>pooler_output</c>, Black Forest Labs' <c>pooled_embeddings</c>.</summary>
    internal static readonly string[] PoolerOutputs = ["pooler_output", "pooled_embeddings"];
    private readonly InferenceSession _session;
    private readonly SessionInputs _adapter;
    private readonly bool _int32Ids;
    private readonly string? _penultimate;
    private readonly bool _hasTextEmbeds;
    private readonly string? _pooler;

    /// <param name="adapter">A LoRA adapter set's inputs when <paramref name="session"/> carries its branches; none otherwise.</param>
    public ClipTextEncoder(string modelId, InferenceSession session, ClipTokenizer tokenizer, SessionInputs? adapter = null)
    {
        _session = session;
        _adapter = adapter ?? SessionInputs.None;
        Tokenizer = tokenizer;
        if (!session.InputMetadata.TryGetValue(InputIds, out var ids))
            throw new ModelLoadException(modelId, $"The text encoder of {modelId} has no '{InputIds}' input.");
        _int32Ids = ids.ElementType == typeof(int);
        if (!_int32Ids && ids.ElementType != typeof(long))
            throw new ModelLoadException(modelId, $"The text encoder of {modelId} takes {ids.ElementType.Name} input_ids; expected Int64 or Int32.");

        // hidden_states.0 … hidden_states.N (N = layers): diffusers' hidden_states[-2] is hidden_states.{N-1} (MODEL-FORMATS §1.3).
        var layers = session.OutputNames.Count(n => n.StartsWith("hidden_states.", StringComparison.Ordinal));
        _penultimate = layers >= 2 ? $"hidden_states.{layers - 2}" : null;
        _hasTextEmbeds = session.OutputNames.Contains("text_embeds");
        _pooler = PoolerOutputs.FirstOrDefault(session.OutputNames.Contains);
    }

    public ClipTokenizer Tokenizer { get; }

    /// <summary>Whether this export has the per-layer outputs SDXL conditioning needs.</summary>
    public bool HasPenultimate => _penultimate is not null;

    public bool HasTextEmbeds => _hasTextEmbeds;

    /// <summary>Whether the graph gives CLIPTextModel's pooled output (the eos position of the final state), Flux's pooled conditioning.</summary>
    public bool HasPooler => _pooler is not null;

    /// <summary>SD1.5 conditioning: <c>last_hidden_state</c>.</summary>
    public TextEmbedding EncodeLast(string prompt, CancellationToken cancellationToken) =>
        Encode(prompt, "last_hidden_state", pooled: false, cancellationToken);

    /// <summary>SDXL conditioning: the penultimate layer's hidden states, and <c>text_embeds</c> when the graph has it.</summary>
    public TextEmbedding EncodePenultimate(string prompt, CancellationToken cancellationToken) =>
        Encode(prompt, _penultimate ?? throw new InvalidOperationException("This text encoder has no hidden_states outputs."), _hasTextEmbeds, cancellationToken);

    /// <summary>Flux conditioning: the pooled output alone.</summary>
    public float[] EncodePooler(string prompt, CancellationToken cancellationToken) =>
        Encode(prompt, _pooler ?? throw new InvalidOperationException("This text encoder has no pooled output."), pooled: false, cancellationToken).Hidden;

    private TextEmbedding Encode(string prompt, string hiddenName, bool pooled, CancellationToken cancellationToken)
    {
        var ids = Tokenizer.Encode(prompt);
        long[] shape = [1, ids.Length];
        using var input = _int32Ids
            ? OrtValue.CreateTensorValueFromMemory(ids, shape)
            : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(ids, i => (long)i), shape);
        string[] outputs = pooled ? [hiddenName, "text_embeds"] : [hiddenName];
        using var results = OnnxRun.Run(_session, [InputIds, .. _adapter.Names], [input, .. _adapter.Values], outputs, cancellationToken);
        var hiddenShape = results[0].GetTensorTypeAndShape().Shape;
        var hidden = FloatTensor.ToArray(results[0]);
        var pooledValues = pooled ? FloatTensor.ToArray(results[1]) : null;
        // A rank-2 output (pooler_output, [1, width]) is one row of its width.
        return hiddenShape.Length == 3
            ? new TextEmbedding(hidden, (int)hiddenShape[1], (int)hiddenShape[2], pooledValues)
            : new TextEmbedding(hidden, 1, hidden.Length, pooledValues);
    }

    public void Dispose() => _session.Dispose();
}
