namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// Reproducible standard normal noise for a seed: the same seed always yields the same sequence, on any machine and
/// however the reads are chunked. Counter-based: normal number k is a pure function of (seed, k) — a SplitMix64 hash
/// of the pair index k/2 gives two 32-bit uniforms, and Box–Muller turns them into a cosine and a sine sample — so
/// there is no hidden generator state to drift, and a batch image can be given its own seed (seed + i).
/// </summary>
public sealed class GaussianNoise(ulong seed) : INoiseSource
{
    private const ulong GoldenGamma = 0x9E3779B97F4A7C15;
    private const double TwoToMinus32 = 1.0 / 4294967296.0;

    // Hashing the seed first spreads nearby seeds (seed, seed + 1, …) over unrelated streams.
    private readonly ulong _key = Mix(seed);
    private long _position;

    public ulong Seed { get; } = seed;

    public void NextGaussian(Span<float> destination)
    {
        var i = 0;
        if ((_position & 1) == 1 && destination.Length > 0)
        {
            destination[i++] = (float)Pair(_position >> 1).Second;
            _position++;
        }

        for (; i + 1 < destination.Length; i += 2, _position += 2)
        {
            var (first, second) = Pair(_position >> 1);
            destination[i] = (float)first;
            destination[i + 1] = (float)second;
        }

        if (i < destination.Length)
        {
            destination[i] = (float)Pair(_position >> 1).First;
            _position++;
        }
    }

    private (double First, double Second) Pair(long index)
    {
        var bits = Mix(_key + ((ulong)index + 1) * GoldenGamma);
        // u1 in (0, 1] keeps the logarithm finite; u2 in [0, 1) is the angle.
        var u1 = ((bits >> 32) + 1.0) * TwoToMinus32;
        var u2 = (bits & 0xFFFFFFFF) * TwoToMinus32;
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (radius * cos, radius * sin);
    }

    /// <summary>SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijective 64-bit mix with full avalanche.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
