using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>Picks inference timesteps from the training range by the config's spacing, descending (noisiest first).</summary>
internal static class TimestepGrid
{
    /// <param name="roundLinspace">DDIM, PNDM and DDPM round linspace timesteps to integers; the Euler family keeps them fractional.</param>
    public static double[] Descending(SchedulerConfig config, int steps, bool roundLinspace)
    {
        var train = config.NumTrainTimesteps;
        switch (config.TimestepSpacing)
        {
            case TimestepSpacing.Leading:
                // Integer ratio: the schedule leaves the noisiest end short of train − 1 (981 for 50 steps), steps_offset shifts it up.
                var ratio = train / steps;
                var leading = new double[steps];
                for (var i = 0; i < steps; i++)
                    leading[i] = ((steps - 1 - i) * ratio) + config.StepsOffset;
                return leading;
            case TimestepSpacing.Trailing:
                // Fractional ratio from train down, so the first step is train − 1 (999, 749, 499, 249 for 4 steps).
                var trailing = Grid.Arange(train, 0, -(double)train / steps);
                for (var i = 0; i < trailing.Length; i++)
                    trailing[i] = Math.Round(trailing[i]) - 1;
                return trailing;
            case TimestepSpacing.Linspace:
                var linspace = Grid.Reversed(Grid.Linspace(0, train - 1, steps));
                if (roundLinspace)
                {
                    for (var i = 0; i < linspace.Length; i++)
                        linspace[i] = Math.Round(linspace[i]);
                }
                else
                {
                    // diffusers builds this grid in float32.
                    for (var i = 0; i < linspace.Length; i++)
                        linspace[i] = (float)linspace[i];
                }

                return linspace;
            default:
                throw new ModelLoadException(config.ClassName, $"Timestep spacing {config.TimestepSpacing} is not supported.");
        }
    }

    /// <summary>
    /// How many leading steps img2img skips: diffusers' get_timesteps keeps min(⌊steps·strength⌋, steps) steps.
    /// </summary>
    public static int SkippedSteps(int steps, double strength)
    {
        CheckStrength(strength);
        return KeepingOne(steps, steps - Math.Min((int)(steps * strength), steps), strength);
    }

    /// <summary>
    /// The flow-matching img2img pipelines' (Flux, SD3) rule instead: they skip ⌊max(steps − min(steps·strength, steps), 0)⌋.
    /// </summary>
    public static int SkippedFlowSteps(int steps, double strength)
    {
        CheckStrength(strength);
        return KeepingOne(steps, (int)Math.Max(steps - Math.Min(steps * strength, steps), 0), strength);
    }

    private static void CheckStrength(double strength)
    {
        if (!(strength is >= 0 and <= 1))
            throw new BadInputException($"strength must be between 0 and 1, got {strength}.");
    }

    private static int KeepingOne(int steps, int skipped, double strength) =>
        skipped < steps ? skipped : throw new BadInputException($"strength {strength} leaves none of the {steps} inference steps to run.");

    public static void ValidateSteps(int steps, SchedulerConfig config)
    {
        if (steps < 1 || steps > config.NumTrainTimesteps)
            throw new BadInputException($"num_inference_steps must be between 1 and {config.NumTrainTimesteps}, got {steps}.");
    }
}
