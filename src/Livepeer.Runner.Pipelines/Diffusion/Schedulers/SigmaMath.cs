namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>Noise-level helpers shared by the sigma-space schedulers (Euler, DPM-Solver).</summary>
internal static class SigmaMath
{
    /// <summary>Karras et al. 2022 (EDM) eq. 5 with ρ = 7: σᵢ = (σmax^(1/ρ) + i/(n−1)·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ.</summary>
    public static double[] Karras(double sigmaMin, double sigmaMax, int count)
    {
        const double Rho = 7.0;
        var minInvRho = Math.Pow(sigmaMin, 1 / Rho);
        var maxInvRho = Math.Pow(sigmaMax, 1 / Rho);
        var ramp = Grid.Linspace(0, 1, count);
        var sigmas = new double[count];
        for (var i = 0; i < count; i++)
            sigmas[i] = Math.Pow(maxInvRho + (ramp[i] * (minInvRho - maxInvRho)), Rho);
        return sigmas;
    }

    /// <summary>
    /// The fractional training timestep whose σ matches <paramref name="sigma"/>, interpolating linearly in log σ
    /// between the two neighbouring training timesteps (diffusers' _sigma_to_t), clamped to [0, train − 1].
    /// </summary>
    public static double SigmaToTimestep(double sigma, NoiseSchedule schedule)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        var n = schedule.TrainTimesteps;

        // Last training timestep whose log σ is at or below the target (log σ ascends with t).
        var low = 0;
        while (low + 1 < n && Math.Log(schedule.Sigma(low + 1)) <= logSigma)
            low++;
        low = Math.Min(low, n - 2);

        var lowLog = Math.Log(schedule.Sigma(low));
        var highLog = Math.Log(schedule.Sigma(low + 1));
        var w = Math.Clamp((lowLog - logSigma) / (lowLog - highLog), 0, 1);
        return ((1 - w) * low) + (w * (low + 1));
    }
}
