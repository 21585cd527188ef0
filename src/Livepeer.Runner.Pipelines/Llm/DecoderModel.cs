using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>
/// A decoder-only transformer in the optimum / onnx-community signature (MODEL-FORMATS §8.1): <c>input_ids</c>,
/// <c>attention_mask</c>, optional <c>position_ids</c> and <c>past_key_values.{i}.key/value</c> in; <c>logits</c> and
/// <c>present.{i}.key/value</c> out. The session is shared by every request; each request's KV cache lives in its
/// own <see cref="DecoderState"/>, so concurrent requests run side by side (ONNX Runtime's Run is thread-safe).
/// </summary>
public sealed class DecoderModel : IDisposable
{
    internal const string Logits = "logits";

    /// <summary>What every step feeds; <c>position_ids</c> is fed when the graph has it.</summary>
    internal static readonly string[] RequiredInputs = ["input_ids", "attention_mask"];

    /// <summary>The first layer's cache input: an export without its KV cache is refused.</summary>
    internal const string FirstPastKey = "past_key_values.0.key";

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly bool _hasPositionIds;
    private readonly OrtMemoryInfo _device;

    private DecoderModel(InferenceSession session, OrtMemoryInfo device, int layers, long kvHeads, long headDim, int vocabulary, bool halfCache)
    {
        _session = session;
        _device = device;
        HalfCache = halfCache;
        Layers = layers;
        KvHeads = kvHeads;
        HeadDim = headDim;
        Vocabulary = vocabulary;
        _hasPositionIds = session.InputMetadata.ContainsKey("position_ids");

        var inputs = new List<string> { "input_ids", "attention_mask" };
        if (_hasPositionIds)
            inputs.Add("position_ids");
        var outputs = new List<string> { Logits };
        for (var i = 0; i < layers; i++)
        {
            inputs.AddRange([$"past_key_values.{i}.key", $"past_key_values.{i}.value"]);
            outputs.AddRange([$"present.{i}.key", $"present.{i}.value"]);
        }

        _inputNames = [.. inputs];
        _outputNames = [.. outputs];
    }

    public int Layers { get; }

    public long KvHeads { get; }

    public long HeadDim { get; }

    public int Vocabulary { get; }

    /// <summary>Whether the KV cache crosses the graph boundary as float16, as float16 exports of real models keep it.</summary>
    public bool HalfCache { get; }

    /// <summary>Below this many weight bytes (about a million parameters in float32) a decode step runs on one thread.</summary>
    public const long SingleThreadedBelowBytes = 4L << 20;

    public static DecoderModel Load(string modelId, string onnxPath, OnnxSessionFactory sessions, LlmConfig config)
    {
        // A decode step of a model this small is hundreds of kernels of a few microseconds each: the intra-op pool's
        // hand-offs cost more than splitting them saves (stories260K decodes about twice as fast on one thread).
        var threads = ModelFootprint.WeightBytesAt(onnxPath) < SingleThreadedBelowBytes ? SessionThreads.CallerOnly : SessionThreads.Pool;
        var session = sessions.Create(modelId, onnxPath, threads);
        try
        {
            var inputs = session.InputMetadata;
            if (!RequiredInputs.All(inputs.ContainsKey) || !session.OutputMetadata.ContainsKey(Logits))
                throw new ModelLoadException(modelId, $"{modelId} is not a decoder-only LLM export: it needs input_ids, attention_mask and logits.");
            var layers = inputs.Keys.Count(k => k.StartsWith("past_key_values.", StringComparison.Ordinal) && k.EndsWith(".key", StringComparison.Ordinal));
            if (layers == 0)
                throw new ModelLoadException(modelId, $"{modelId} has no past_key_values inputs: export it with its KV cache (optimum's text-generation-with-past).");

            var past = inputs[FirstPastKey];
            var logitsType = session.OutputMetadata[Logits].ElementType;
            if (past.ElementType != typeof(float) && past.ElementType != typeof(Float16)
                || logitsType != typeof(float) && logitsType != typeof(Float16))
                throw new ModelLoadException(modelId, $"{modelId} keeps its KV cache as {past.ElementType.Name} and logits as {logitsType.Name}; this runner runs float32 and float16 exports.");
            var kvHeads = past.Dimensions[1] > 0 ? past.Dimensions[1] : config.KeyValueHeads;
            var headDim = past.Dimensions[3] > 0 ? past.Dimensions[3] : config.HeadDim;
            var vocabulary = session.OutputMetadata[Logits].Dimensions[^1] is > 0 and var v ? v : config.Vocabulary;
            return new DecoderModel(session, sessions.DeviceMemory, layers, kvHeads, headDim, vocabulary, past.ElementType == typeof(Float16));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public DecoderState Start() => new(this);

    /// <summary>
    /// Feeds <paramref name="ids"/> after the request's cached positions and leaves the logits of the last one in
    /// <see cref="DecoderState.Logits"/>. The presents of this run become the next run's past; they stay on the session's
    /// device, so on a GPU the cache never crosses to the host and back between tokens.
    /// </summary>
    public void Forward(DecoderState state, ReadOnlySpan<long> ids, CancellationToken cancellationToken)
    {
        var count = ids.Length;
        var past = state.PastLength;
        var total = past + count;

        // The mask is all ones (one sequence, no padding): a prefix of the state's ones, not a new array per token.
        var positions = new long[count];
        for (var i = 0; i < count; i++)
            positions[i] = past + i;

        using var inputIds = OrtValue.CreateTensorValueFromMemory(ids.ToArray(), [1, count]);
        using var attention = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, state.Ones(total), [1, total]);
        using var positionIds = OrtValue.CreateTensorValueFromMemory(positions, [1, count]);
        var values = new List<OrtValue>(_inputNames.Length) { inputIds, attention };
        if (_hasPositionIds)
            values.Add(positionIds);
        for (var i = 0; i < Layers; i++)
        {
            values.Add(state.Past(2 * i));
            values.Add(state.Past((2 * i) + 1));
        }

        var outputs = OnnxRun.RunKeepingOnDevice(_session, _inputNames, values, _outputNames, Logits, _device, cancellationToken);
        FloatTensor.Read(outputs[0], (count - 1) * Vocabulary, state.Logits);

        state.Advance(outputs, count);
    }

    internal OrtValue EmptyPast() => HalfCache
        ? OrtValue.CreateTensorValueFromMemory(Array.Empty<Float16>(), [1, KvHeads, 0, HeadDim])
        : OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [1, KvHeads, 0, HeadDim]);

    public void Dispose() => _session.Dispose();
}

/// <summary>One request's KV cache, as the OrtValues ONNX Runtime returned; the previous step's are released as the next arrive.</summary>
public sealed class DecoderState : IDisposable
{
    private readonly OrtValue _empty;
    private IDisposableReadOnlyCollection<OrtValue>? _outputs;
    private long[] _ones = [];

    internal DecoderState(DecoderModel model)
    {
        _empty = model.EmptyPast();
        Logits = new float[model.Vocabulary];
    }

    public int PastLength { get; private set; }

    /// <summary>The logits of the last position fed.</summary>
    public float[] Logits { get; }

    internal OrtValue Past(int index) => _outputs is null ? _empty : _outputs[index + 1];

    /// <summary>An attention mask of <paramref name="length"/> ones, grown (doubling) as the sequence grows.</summary>
    internal Memory<long> Ones(int length)
    {
        if (_ones.Length < length)
        {
            _ones = new long[Math.Max(length, _ones.Length * 2)];
            Array.Fill(_ones, 1L);
        }

        return _ones.AsMemory(0, length);
    }

    internal void Advance(IDisposableReadOnlyCollection<OrtValue> outputs, int count)
    {
        _outputs?.Dispose();
        _outputs = outputs;
        PastLength += count;
    }

    public void Dispose()
    {
        _outputs?.Dispose();
        _empty.Dispose();
    }
}
