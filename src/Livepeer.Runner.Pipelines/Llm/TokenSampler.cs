using System.Numerics.Tensors;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>
/// Picks the next token: greedy when temperature is 0, else temperature-scaled softmax restricted by top-k
/// (−1: off) and top-p (nucleus), drawn from a generator seeded per request so a seed reproduces its text.
/// </summary>
public sealed class TokenSampler
{
    private readonly float _temperature;
    private readonly float _topP;
    private readonly int _topK;
    private readonly Random _random;
    private float[] _probabilities = [];
    private int[] _order = [];
    private PriorityQueue<int, float>? _heap;

    public TokenSampler(double temperature, double topP, int topK, long? seed)
    {
        _temperature = (float)temperature;
        _topP = (float)topP;
        _topK = topK;
        _random = seed is { } s ? new Random(unchecked((int)s ^ (int)(s >> 32))) : new Random();
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_temperature <= 0)
            return TensorPrimitives.IndexOfMax(logits);

        if (_probabilities.Length != logits.Length)
        {
            _probabilities = new float[logits.Length];
            _order = new int[logits.Length];
        }

        TensorPrimitives.Divide(logits, _temperature, _probabilities);
        TensorPrimitives.SoftMax(_probabilities, _probabilities);
        var probabilities = _probabilities;

        // Keep the top-k, then the smallest prefix whose mass reaches top-p; renormalise by drawing within it.
        var keep = _topK > 0 ? Math.Min(_topK, _order.Length) : _order.Length;
        if (keep < _order.Length)
        {
            SelectTop(keep);
        }
        else
        {
            for (var i = 0; i < _order.Length; i++)
                _order[i] = i;
            Array.Sort(_order, (a, b) => probabilities[b].CompareTo(probabilities[a]));
        }

        float mass = 0;
        var cut = 0;
        while (cut < keep)
        {
            mass += probabilities[_order[cut++]];
            if (mass >= _topP)
                break;
        }

        var draw = (float)_random.NextDouble() * mass;
        for (var i = 0; i < cut; i++)
        {
            draw -= probabilities[_order[i]];
            if (draw <= 0)
                return _order[i];
        }

        return _order[cut - 1];
    }

    /// <summary>
    /// The <paramref name="k"/> most likely tokens into the head of the order, most likely first: one pass with a
    /// k-element min-heap instead of sorting the whole vocabulary (Parler-TTS samples 9 rows of 1,088 every step).
    /// </summary>
    private void SelectTop(int k)
    {
        _heap ??= new PriorityQueue<int, float>(k + 1);
        _heap.Clear();
        for (var i = 0; i < _probabilities.Length; i++)
        {
            if (_heap.Count < k)
                _heap.Enqueue(i, _probabilities[i]);
            else if (_heap.TryPeek(out _, out var least) && _probabilities[i] > least)
                _heap.EnqueueDequeue(i, _probabilities[i]);
        }

        for (var at = k - 1; at >= 0; at--)
            _order[at] = _heap.Dequeue();
    }
}
