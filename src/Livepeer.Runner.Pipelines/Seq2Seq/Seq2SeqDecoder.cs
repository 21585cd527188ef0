using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Seq2Seq;

/// <summary>
/// An encoder-decoder's cached text decoder in optimum's layout, shared by Whisper (MODEL-FORMATS §4.2) and BLIP (§5),
/// in either form: <c>decoder_model_merged.onnx</c> with
/// <c>use_cache_branch</c>, or <c>decoder_model.onnx</c> for the prompt plus <c>decoder_with_past_model.onnx</c> for
/// each later token. The KV cache stays in ONNX Runtime's own <see cref="OrtValue"/>s from step to step: self-attention
/// presents feed the next step's pasts, cross-attention keys/values are kept from step 0 (the merged graph's cache
/// branch returns empty ones). A decoder with inputs beyond optimum's set (Parler-TTS) passes them as
/// <see cref="DecoderInputs"/>. A run can also fetch outputs the export adds beside these (Whisper's
/// <c>cross_attentions.{i}</c> in a <c>_timestamped</c> export): they come back to the host after every run, in the
/// state (<see cref="Seq2SeqState.Extra"/>); a run that asks for none computes and copies nothing more.
/// </summary>
internal sealed class Seq2SeqDecoder : IDisposable
{
    private const string Logits = "logits";
    private const string InputIds = "input_ids";
    private const string EncoderHiddenStates = "encoder_hidden_states";
    private const string MergedFile = "decoder_model_merged.onnx";
    private const string PlainFile = "decoder_model.onnx";
    private const string WithPastFile = "decoder_with_past_model.onnx";

    private readonly InferenceSession _first;
    private readonly InferenceSession? _withPast; // null: _first is the merged graph
    private readonly string[] _firstOutputs;
    private readonly string[] _withPastOutputs;

    private Seq2SeqDecoder(InferenceSession first, InferenceSession? withPast, OrtMemoryInfo device)
    {
        _first = first;
        _withPast = withPast;
        Device = device;
        Layers = first.InputNames.Count(n => n.StartsWith("past_key_values.", StringComparison.Ordinal) && n.EndsWith(".decoder.key", StringComparison.Ordinal));
        if (Layers == 0)
            Layers = first.OutputNames.Count(n => n.StartsWith("present.", StringComparison.Ordinal) && n.EndsWith(".decoder.key", StringComparison.Ordinal));
        var keyDims = first.OutputMetadata["present.0.decoder.key"].Dimensions;
        Heads = keyDims[1];
        HeadDim = keyDims[3];
        _firstOutputs = [Logits, .. PresentNames(encoder: true)];
        _withPastOutputs = IsMerged ? _firstOutputs : [Logits, .. PresentNames(encoder: false)];
    }

    public int Layers { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public bool IsMerged => _withPast is null;

    /// <summary>Where the decoder computes; the encoder's states are kept there too (<see cref="OnnxRun.RunKeepingOnDevice"/>).</summary>
    public OrtMemoryInfo Device { get; }

    /// <summary>
    /// The decoder graphs <see cref="Load"/> opens from <paramref name="graphs"/> (relative to the model folder as
    /// <paramref name="prefix"/>, e.g. <c>onnx/</c>): the merged one, else the split pair; each fed <c>input_ids</c> (and
    /// the first step <c>encoder_hidden_states</c>) and giving <c>logits</c> and the first layer's present keys.
    /// </summary>
    internal static IReadOnlyList<GraphNeed> Requirements(string graphs, string prefix, string what)
    {
        TensorNeed[] outputs = [TensorNeed.Named(Logits, TensorNeed.FloatTypes), TensorNeed.Named("present.0.decoder.key")];
        if (File.Exists(Path.Combine(graphs, MergedFile)) || !File.Exists(Path.Combine(graphs, PlainFile)))
            return [new GraphNeed($"{what} (merged)", [prefix + MergedFile, prefix + PlainFile], TensorNeed.All([InputIds, EncoderHiddenStates]), outputs)];
        return
        [
            new GraphNeed($"{what} (first step)", [prefix + PlainFile], TensorNeed.All([InputIds, EncoderHiddenStates]), outputs),
            new GraphNeed($"{what} (with past)", [prefix + WithPastFile], TensorNeed.All([InputIds]), [outputs[0]]),
        ];
    }

    public static Seq2SeqDecoder Load(string modelId, string directory, OnnxSessionFactory sessions, bool preferMerged = true)
    {
        var merged = Path.Combine(directory, MergedFile);
        var plain = Path.Combine(directory, PlainFile);
        var withPast = Path.Combine(directory, WithPastFile);
        if (File.Exists(merged) && (preferMerged || !File.Exists(plain) || !File.Exists(withPast)))
            return new Seq2SeqDecoder(sessions.Create(modelId, merged), null, sessions.DeviceMemory);
        if (!File.Exists(plain) || !File.Exists(withPast))
            throw new ModelLoadException(modelId, $"{modelId} has neither {MergedFile} nor {PlainFile} + {WithPastFile}.");

        var first = sessions.Create(modelId, plain);
        try
        {
            return new Seq2SeqDecoder(first, sessions.Create(modelId, withPast), sessions.DeviceMemory);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>Whether every decoder graph has all of <paramref name="outputs"/>, so that a run can fetch them.</summary>
    public bool HasOutputs(IEnumerable<string> outputs) =>
        outputs.All(name => _first.OutputMetadata.ContainsKey(name) && (_withPast is null || _withPast.OutputMetadata.ContainsKey(name)));

    /// <summary>
    /// Runs the prompt <c>[batch, promptLength]</c>; the returned state owns the cache. <paramref name="extra"/>'s
    /// <see cref="DecoderInputs.First"/> values go in too, and its <see cref="DecoderInputs.CacheBatch"/> sizes the empty
    /// pasts. <paramref name="extraOutputs"/> (see <see cref="HasOutputs"/>) are fetched on this run and on every
    /// <see cref="Step"/> of the returned state.
    /// </summary>
    public Seq2SeqState Start(
        OrtValue encoderHidden, long[] promptIds, int batch, CancellationToken cancellationToken, DecoderInputs? extra = null, IReadOnlyList<string>? extraOutputs = null)
    {
        var promptLength = promptIds.Length / batch;
        using var ids = OrtValue.CreateTensorValueFromMemory(promptIds, [batch, promptLength]);
        var names = new List<string> { InputIds, EncoderHiddenStates };
        var values = new List<OrtValue> { ids, encoderHidden };
        var owned = new List<OrtValue>();
        try
        {
            extra?.AddTo(names, values, first: true);
            if (IsMerged)
            {
                foreach (var name in PastNames())
                {
                    var empty = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [extra?.CacheBatch ?? batch, Heads, 0, HeadDim]);
                    owned.Add(empty);
                    names.Add(name);
                    values.Add(empty);
                }

                owned.Add(AddFlag(names, values, false));
            }

            AddCachePosition(_first, names, values, owned, 0, promptLength);
            extraOutputs ??= [];
            var outputs = extraOutputs.Count == 0 ? _firstOutputs : [.. _firstOutputs, .. extraOutputs];
            var results = OnnxRun.RunKeepingOnDevice(_first, names, values, outputs, Logits, extraOutputs.Count, Device, cancellationToken);
            // The cache holds the prompt, and whatever the graph put before it (Parler's prompt states).
            return new Seq2SeqState(results, Layers, (int)results[1].GetTensorTypeAndShape().Shape[2], extraOutputs);
        }
        finally
        {
            foreach (var value in owned)
                value.Dispose();
        }
    }

    /// <summary>Feeds one token per row (and <paramref name="extra"/>'s later values); the state's logits and cache move on by one position.</summary>
    public void Step(Seq2SeqState state, OrtValue encoderHidden, long[] nextIds, CancellationToken cancellationToken, DecoderInputs? extra = null)
    {
        var batch = nextIds.Length;
        using var ids = OrtValue.CreateTensorValueFromMemory(nextIds, [batch, 1]);
        var names = new List<string> { InputIds };
        var values = new List<OrtValue> { ids };
        var owned = new List<OrtValue>();
        try
        {
            if (IsMerged)
            {
                names.Add(EncoderHiddenStates);
                values.Add(encoderHidden);
            }

            extra?.AddTo(names, values, first: false);

            for (var i = 0; i < Layers; i++)
            {
                names.AddRange([$"past_key_values.{i}.decoder.key", $"past_key_values.{i}.decoder.value", $"past_key_values.{i}.encoder.key", $"past_key_values.{i}.encoder.value"]);
                values.AddRange([state.SelfKey(i), state.SelfValue(i), state.CrossKey(i), state.CrossValue(i)]);
            }

            if (IsMerged)
                owned.Add(AddFlag(names, values, true));
            var session = _withPast ?? _first;
            AddCachePosition(session, names, values, owned, state.Length, 1);
            var extraOutputs = state.ExtraOutputs;
            var outputs = extraOutputs.Count == 0 ? _withPastOutputs : [.. _withPastOutputs, .. extraOutputs];
            var results = OnnxRun.RunKeepingOnDevice(session, names, values, outputs, Logits, extraOutputs.Count, Device, cancellationToken);
            state.Advance(results);
        }
        finally
        {
            foreach (var value in owned)
                value.Dispose();
        }
    }

    private static OrtValue AddFlag(List<string> names, List<OrtValue> values, bool useCache)
    {
        var flag = OrtValue.CreateTensorValueFromMemory(new[] { useCache }, [1]);
        names.Add("use_cache_branch");
        values.Add(flag);
        return flag;
    }

    // Exports made with transformers 4.43–4.45 take cache_position = arange(past, past + new) (MODEL-FORMATS §4.2).
    private static void AddCachePosition(InferenceSession session, List<string> names, List<OrtValue> values, List<OrtValue> owned, int past, int length)
    {
        if (!session.InputMetadata.ContainsKey("cache_position"))
            return;
        var positions = new long[length];
        for (var i = 0; i < length; i++)
            positions[i] = past + i;
        var value = OrtValue.CreateTensorValueFromMemory(positions, [length]);
        owned.Add(value);
        names.Add("cache_position");
        values.Add(value);
    }

    private IEnumerable<string> PastNames()
    {
        for (var i = 0; i < Layers; i++)
        {
            yield return $"past_key_values.{i}.decoder.key";
            yield return $"past_key_values.{i}.decoder.value";
            yield return $"past_key_values.{i}.encoder.key";
            yield return $"past_key_values.{i}.encoder.value";
        }
    }

    private IEnumerable<string> PresentNames(bool encoder)
    {
        for (var i = 0; i < Layers; i++)
        {
            yield return $"present.{i}.decoder.key";
            yield return $"present.{i}.decoder.value";
            if (encoder)
            {
                yield return $"present.{i}.encoder.key";
                yield return $"present.{i}.encoder.value";
            }
        }
    }

    public void Dispose()
    {
        _first.Dispose();
        _withPast?.Dispose();
    }
}
