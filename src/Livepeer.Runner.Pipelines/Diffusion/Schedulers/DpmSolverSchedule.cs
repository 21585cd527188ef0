namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// DPMSolverMultistepScheduler's own timestep grid. It differs from the shared one: linspace and leading build n + 1
/// points and drop the last, the range can be cut where λ falls below lambda_min_clipped, and Karras σ span the
/// whole training range (σ₀ to σ₉₉₉) rather than the spaced timesteps' ends.
/// </summary>
internal static class DpmSolverSchedule
{
    public static (double[] Timesteps, double[] Sigmas) Build(SchedulerConfig config, NoiseSchedule schedule, int steps)
    {
        var train = config.NumTrainTimesteps;
        var last = train - ClippedCount(config, schedule);
        double[] timesteps;
        switch (config.TimestepSpacing)
        {
            case TimestepSpacing.Linspace:
                timesteps = [.. Grid.Reversed(Grid.Linspace(0, last - 1, steps + 1)).Take(steps).Select(t => Math.Round(t))];
                break;
            case TimestepSpacing.Leading:
                var ratio = last / (steps + 1);
                timesteps = [.. Enumerable.Range(1, steps).Reverse().Select(i => (double)((i * ratio) + config.StepsOffset))];
                break;
            default:
                timesteps = [.. Grid.Arange(last, 0, -(double)train / steps).Select(t => Math.Round(t) - 1)];
                break;
        }

        double[] sigmas;
        if (config.UseKarrasSigmas)
        {
            sigmas = SigmaMath.Karras(schedule.Sigma(0), schedule.Sigma(train - 1), steps);
            // Integer timesteps for the UNet; the cosine schedule's are truncated instead (an int64 cast in diffusers).
            timesteps = [.. sigmas.Select(s => SigmaMath.SigmaToTimestep(s, schedule))
                .Select(t => config.BetaSchedule is BetaSchedule.SquaredCosCapV2 ? Math.Truncate(t) : Math.Round(t))];
        }
        else
        {
            sigmas = [.. timesteps.Select(t => Grid.Interpolate(t, schedule.Sigma, schedule.TrainTimesteps))];
        }

        var final = config.FinalSigmasType is FinalSigmasType.SigmaMin ? schedule.Sigma(0) : 0.0;
        return (timesteps, [.. sigmas, final]);
    }

    /// <summary>How many of the least noisy training timesteps have λ = ln(√ᾱ/√(1−ᾱ)) below lambda_min_clipped (none by default).</summary>
    private static int ClippedCount(SchedulerConfig config, NoiseSchedule schedule)
    {
        if (double.IsNegativeInfinity(config.LambdaMinClipped))
            return 0;
        var count = 0;
        for (var t = schedule.TrainTimesteps - 1; t >= 0; t--)
        {
            var alpha = schedule.AlphaCumprod(t);
            if (0.5 * Math.Log(alpha / (1 - alpha)) >= config.LambdaMinClipped)
                break;
            count++;
        }

        return count;
    }
}
