using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Text;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// The T5 v1.1 encoder of Flux (<c>text_encoder_2/</c>) and SD3 (<c>text_encoder_3/</c>) with its SentencePiece Unigram
/// tokenizer (<c>tokenizer.json</c> beside it in <c>tokenizer_2/</c> or <c>tokenizer_3/</c>). Prompts are padded to a
/// fixed length with <c>&lt;pad&gt;</c> and truncated so that <c>&lt;/s&gt;</c> still ends them, as the diffusers pipelines
/// call the tokenizer; no attention mask is passed, as the pipelines pass none. <c>input_ids</c> is bound with the
/// element type the graph declares (int64, or int32 in some exports).
/// </summary>
public sealed class T5TextEncoder : IDisposable
{
    internal const string InputIds = "input_ids";
    internal const string LastHiddenState = "last_hidden_state";
    private const string DefaultPad = "<pad>";

    private readonly InferenceSession _session;
    private readonly SessionInputs _adapter;
    private readonly UnigramTokenizer _tokenizer;
    private readonly int _padId;
    private readonly bool _int32Ids;
    private readonly string _output;

    private T5TextEncoder(InferenceSession session, UnigramTokenizer tokenizer, int padId, bool int32Ids, string output, SessionInputs? adapter = null)
    {
        _session = session;
        _adapter = adapter ?? SessionInputs.None;
        _tokenizer = tokenizer;
        _padId = padId;
        _int32Ids = int32Ids;
        _output = output;
    }

    /// <summary>The tokenizer files of <paramref name="tokenizerFolder"/>, read before any session opens.</summary>
    internal static (UnigramTokenizer Tokenizer, int PadId) ReadTokenizer(string modelId, string tokenizerFolder)
    {
        try
        {
            var tokenizer = UnigramTokenizer.Load(Path.Combine(tokenizerFolder, "tokenizer.json"));
            var padText = ModelFolderJson.TokenText(ModelFolderJson.Read(Path.Combine(tokenizerFolder, "tokenizer_config.json")), "pad_token")
                ?? ModelFolderJson.TokenText(ModelFolderJson.Read(Path.Combine(tokenizerFolder, "special_tokens_map.json")), "pad_token")
                ?? DefaultPad;
            return (tokenizer, tokenizer.IdOf(padText) ?? 0);
        }
        catch (Exception e) when (ModelFolderJson.IsUnreadable(e))
        {
            throw new ModelLoadException(modelId, $"{modelId}: could not read the T5 tokenizer in '{tokenizerFolder}': {e.Message}", e);
        }
    }

    internal static T5TextEncoder Create(string modelId, InferenceSession session, (UnigramTokenizer Tokenizer, int PadId) tokenizer)
    {
        if (!session.InputMetadata.TryGetValue(InputIds, out var ids) || (ids.ElementType != typeof(long) && ids.ElementType != typeof(int)))
            throw new ModelLoadException(modelId, $"The T5 encoder of {modelId} needs an int64 or int32 '{InputIds}' input.");
        // optimum names it last_hidden_state; a graph with one output is read whatever its name.
        var output = session.OutputNames.Contains(LastHiddenState) ? LastHiddenState
            : session.OutputNames.Count == 1 ? session.OutputNames[0]
            : throw new ModelLoadException(modelId, $"The T5 encoder of {modelId} has no '{LastHiddenState}' output.");
        return new T5TextEncoder(session, tokenizer.Tokenizer, tokenizer.PadId, ids.ElementType == typeof(int), output);
    }

    /// <summary>The text length the graph fixes (Black Forest Labs' exports: 256 for schnell, 512 for dev), or null when it is free.</summary>
    public int? FixedLength => _session.InputMetadata[InputIds].Dimensions is [_, > 0 and var length] ? length : null;

    /// <summary>The same encoder on a session of its graph with LoRA branches, fed an adapter set's inputs; the session stays its owner's.</summary>
    internal T5TextEncoder WithSession(InferenceSession session, SessionInputs adapter) => new(session, _tokenizer, _padId, _int32Ids, _output, adapter);

    /// <summary>The encoder's hidden states for <paramref name="prompt"/> at exactly <paramref name="length"/> tokens.</summary>
    public TextEmbedding Encode(string prompt, int length, CancellationToken cancellationToken)
    {
        var ids = _tokenizer.EncodePadded(prompt, length, _padId);
        long[] shape = [1, length];
        using var input = _int32Ids
            ? OrtValue.CreateTensorValueFromMemory(ids, shape)
            : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(ids, i => (long)i), shape);
        using var results = OnnxRun.Run(_session, [InputIds, .. _adapter.Names], [input, .. _adapter.Values], [_output], cancellationToken);
        var hiddenShape = results[0].GetTensorTypeAndShape().Shape;
        return new TextEmbedding(FloatTensor.ToArray(results[0]), (int)hiddenShape[1], (int)hiddenShape[2], null);
    }

    public void Dispose() => _session.Dispose();
}
