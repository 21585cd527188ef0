using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// The training noise schedule every scheduler starts from: βₜ per the config, ᾱₜ = ∏(1 − βₛ), and the
/// equivalent VE noise level σₜ = √((1 − ᾱₜ)/ᾱₜ). Kept in float64; diffusers keeps float32, so values agree
/// to float32 rounding, not bit for bit.
/// </summary>
public sealed class NoiseSchedule
{
    private readonly double[] _alphasCumprod;

    private NoiseSchedule(double[] alphasCumprod) => _alphasCumprod = alphasCumprod;

    public int TrainTimesteps => _alphasCumprod.Length;

    /// <summary>ᾱₜ for a training timestep t in [0, TrainTimesteps).</summary>
    public double AlphaCumprod(int t) => _alphasCumprod[t];

    /// <summary>σₜ for a training timestep; ascending in t.</summary>
    public double Sigma(int t) => Math.Sqrt((1 - _alphasCumprod[t]) / _alphasCumprod[t]);

    public static NoiseSchedule From(SchedulerConfig config, string modelId)
    {
        var betas = Betas(config, modelId);
        var cumprod = new double[betas.Length];
        var product = 1.0;
        for (var t = 0; t < betas.Length; t++)
        {
            product *= 1 - betas[t];
            cumprod[t] = product;
        }

        return new NoiseSchedule(cumprod);
    }

    /// <summary>x·√ᾱₜ + noise·√(1 − ᾱₜ): the forward process at training timestep t (DDPM's add_noise).</summary>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int t, Span<float> destination)
    {
        var alpha = _alphasCumprod[t];
        LatentMath.Combine(Math.Sqrt(alpha), original, Math.Sqrt(1 - alpha), noise, destination);
    }

    private static double[] Betas(SchedulerConfig config, string modelId)
    {
        if (config.TrainedBetas is { Count: > 0 } trained)
            return [.. trained];

        var n = config.NumTrainTimesteps;
        if (n < 2)
            throw new ModelLoadException(modelId, $"The scheduler config's num_train_timesteps {n} is too small.");

        return config.BetaSchedule switch
        {
            BetaSchedule.Linear => Grid.Linspace(config.BetaStart, config.BetaEnd, n),
            // Latent diffusion's schedule: linear in √β.
            BetaSchedule.ScaledLinear => [.. Grid.Linspace(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), n).Select(b => b * b)],
            BetaSchedule.SquaredCosCapV2 => CosineBetas(n),
            _ => throw new ModelLoadException(modelId, $"Beta schedule {config.BetaSchedule} is not supported."),
        };
    }

    /// <summary>Improved-DDPM's cosine schedule (Nichol and Dhariwal 2021): βₜ = min(1 − ᾱ(t+1)/ᾱ(t), 0.999).</summary>
    private static double[] CosineBetas(int n)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);

        var betas = new double[n];
        for (var i = 0; i < n; i++)
            betas[i] = Math.Min(1 - AlphaBar((i + 1.0) / n) / AlphaBar((double)i / n), 0.999);
        return betas;
    }
}
