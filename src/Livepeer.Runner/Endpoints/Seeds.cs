namespace Livepeer.Runner.Endpoints;

internal static class Seeds
{
    /// <summary>A seed for a request that gave none: uniform in [0, 2^32 − 1], as ai-runner draws it.</summary>
    public static long Random() => System.Random.Shared.NextInt64(0, 1L << 32);
}
