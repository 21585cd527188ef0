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
        for (var i = 0; i < _order.Length; i++)
            _order[i] = i;
        var probabilities = _probabilities;
        Array.Sort(_order, (a, b) => probabilities[b].CompareTo(probabilities[a]));

        // Keep the top-k, then the smallest prefix whose mass reaches top-p; renormalise by drawing within it.
        var keep = _topK > 0 ? Math.Min(_topK, _order.Length) : _order.Length;
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
}
