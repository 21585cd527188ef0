namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// How flow matching bends its σ grid towards the noisy end (SD3 paper, §5.3.2): more steps where high-resolution
/// images need them. All in float64; diffusers works in float32, so results agree to float32 rounding.
/// </summary>
public static class FlowMatchShift
{
    /// <summary>
    /// The resolution-dependent μ of the Flux and SD3 pipelines' <c>calculate_shift</c>: linear in the image's token
    /// count, base_shift at base_image_seq_len and max_shift at max_image_seq_len (and extrapolated beyond them).
    /// </summary>
    public static double Mu(SchedulerConfig config, int imageSequenceLength)
    {
        var slope = (config.MaxShift - config.BaseShift) / (config.MaxImageSeqLen - config.BaseImageSeqLen);
        var intercept = config.BaseShift - (slope * config.BaseImageSeqLen);
        return (imageSequenceLength * slope) + intercept;
    }

    /// <summary>σ' = s·σ/(1 + (s − 1)·σ): the static shift (s = 3 for SD3).</summary>
    public static double Static(double shift, double sigma) => shift * sigma / (1 + ((shift - 1) * sigma));

    /// <summary>The dynamic shift at μ: e^μ/(e^μ + (1/σ − 1)), or μ/(μ + (1/σ − 1)) for the linear type.</summary>
    public static double Dynamic(TimeShiftType type, double mu, double sigma)
    {
        var scale = type is TimeShiftType.Exponential ? Math.Exp(mu) : mu;
        return scale / (scale + ((1 / sigma) - 1));
    }

    /// <summary>
    /// Shifts the grid in place as the config says (dynamic needs <paramref name="mu"/>), then stretches it so it ends
    /// at shift_terminal when the config sets one: 1 − (1 − σ)·(1 − terminal)/(1 − σ_last).
    /// </summary>
    public static void Apply(SchedulerConfig config, double[] sigmas, double? mu)
    {
        for (var i = 0; i < sigmas.Length; i++)
        {
            sigmas[i] = config.UseDynamicShifting
                ? Dynamic(config.TimeShiftType, mu ?? throw new ArgumentException("Dynamic shifting needs mu.", nameof(mu)), sigmas[i])
                : Static(config.Shift, sigmas[i]);
        }

        if (config.ShiftTerminal is { } terminal && terminal != 0)
        {
            var scale = (1 - sigmas[^1]) / (1 - terminal);
            for (var i = 0; i < sigmas.Length; i++)
                sigmas[i] = 1 - ((1 - sigmas[i]) / scale);
        }
    }
}
