using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Seq2Seq;

/// <summary>
/// One batch's decoder cache and latest logits. Step 0's outputs are kept for the whole decode (they own the
/// cross-attention keys/values); each later step's outputs replace the previous later step's. Extra outputs asked
/// for at the start (<see cref="Seq2SeqDecoder.Start"/>)
/// follow the cache in every run's outputs.
/// </summary>
internal sealed class Seq2SeqState(IDisposableReadOnlyCollection<OrtValue> first, int layers, int length, IReadOnlyList<string> extraOutputs) : IDisposable
{
    private IDisposableReadOnlyCollection<OrtValue>? _latest;

    /// <summary>Tokens in the cache.</summary>
    public int Length { get; private set; } = length;

    private IDisposableReadOnlyCollection<OrtValue> Current => _latest ?? first;

    /// <summary>The extra outputs every run of this state fetches, in order.</summary>
    public IReadOnlyList<string> ExtraOutputs => extraOutputs;

    // Step 0 (and the merged graph): logits, then 4 presents per layer; the split with-past graph: 2 per layer.
    private int SelfStride => _latest is null || _latest.Count - extraOutputs.Count == 1 + (4 * layers) ? 4 : 2;

    public OrtValue SelfKey(int layer) => Current[1 + (layer * SelfStride)];
    public OrtValue SelfValue(int layer) => Current[2 + (layer * SelfStride)];
    public OrtValue CrossKey(int layer) => first[3 + (layer * 4)];
    public OrtValue CrossValue(int layer) => first[4 + (layer * 4)];

    /// <summary>The latest run's <see cref="ExtraOutputs"/>[<paramref name="index"/>], in host memory.</summary>
    public OrtValue Extra(int index) => Current[Current.Count - extraOutputs.Count + index];

    /// <summary>Logits of the last position of row <paramref name="row"/>: <c>[vocab]</c>.</summary>
    public ReadOnlySpan<float> LastLogits(int row)
    {
        var logits = Current[0];
        var shape = logits.GetTensorTypeAndShape().Shape;
        var (steps, vocab) = ((int)shape[1], (int)shape[2]);
        return logits.GetTensorDataAsSpan<float>().Slice(((row * steps) + steps - 1) * vocab, vocab);
    }

    public void Advance(IDisposableReadOnlyCollection<OrtValue> next)
    {
        _latest?.Dispose();
        _latest = next;
        Length++;
    }

    public void Dispose()
    {
        _latest?.Dispose();
        first.Dispose();
    }
}
