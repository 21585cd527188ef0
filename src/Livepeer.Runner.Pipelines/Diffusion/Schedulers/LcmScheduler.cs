using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' LCMScheduler (Luo et al. 2023): each step maps x straight to a consistency estimate
/// x̂ = c_out·x̂₀ + c_skip·x (boundary scalings with σ_data = 0.5 at t·timestep_scaling), then re-noises it to the
/// next timestep — except after the last step. Timesteps are picked from the distillation grid of
/// original_inference_steps points (k = 1000/50 = 20 apart).
/// </summary>
public sealed class LcmScheduler(SchedulerConfig config, NoiseSchedule schedule) : AlphaSchedulerBase(config, schedule)
{
    private const double SigmaData = 0.5;
    private float[] _scratch = [];

    /// <summary>Strength shortens the distillation grid itself here, as diffusers' LCM does, rather than cutting steps off.</summary>
    public override void SetTimesteps(int steps, double strength = 1.0)
    {
        TimestepGrid.ValidateSteps(steps, Config);
        var originalSteps = Config.OriginalInferenceSteps;
        if (steps > originalSteps)
            throw new BadInputException($"num_inference_steps {steps} exceeds this LCM model's original_inference_steps {originalSteps}.");

        if (!(strength is >= 0 and <= 1))
            throw new BadInputException($"strength must be between 0 and 1, got {strength}.");

        var k = Config.NumTrainTimesteps / originalSteps;
        var gridLength = (int)(originalSteps * strength);
        if (gridLength / steps < 1)
            throw new BadInputException($"strength {strength} leaves too few LCM timesteps for {steps} steps.");

        // Grid (i + 1)·k − 1 for i < gridLength, noisiest first; then ⌊linspace(0, len, steps, endpoint: false)⌋ picks from it.
        var indices = Grid.Linspace(0, gridLength, steps, endpoint: false);
        SetTimesteps([.. indices.Select(i => (double)(((gridLength - (int)Math.Floor(i)) * k) - 1))]);
    }

    public override void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        var t = TimestepAt(step);
        var isLast = step == Timesteps.Length - 1;
        var alpha = Schedule.AlphaCumprod(t);
        var scaled = t * Config.TimestepScaling;
        var cSkip = SigmaData * SigmaData / ((scaled * scaled) + (SigmaData * SigmaData));
        var cOut = scaled / Math.Sqrt((scaled * scaled) + (SigmaData * SigmaData));
        var (xs, xm) = LatentMath.OriginalFromAlpha(Config.PredictionType, alpha);

        EnsureScratch(sample.Length);
        if (Config.ClipSample)
        {
            LatentMath.Combine(xs, sample, xm, modelOutput, _scratch);
            LatentMath.Clamp(_scratch, Config.ClipSampleRange);
            LatentMath.Combine(cSkip, sample, cOut, _scratch, previous);
        }
        else
        {
            LatentMath.Combine(cSkip + (cOut * xs), sample, cOut * xm, modelOutput, previous);
        }

        if (isLast)
            return;

        var alphaPrev = AlphaProdOrFinal(TimestepAt(step + 1));
        noise.NextGaussian(_scratch);
        LatentMath.Combine(Math.Sqrt(alphaPrev), previous, Math.Sqrt(1 - alphaPrev), _scratch, previous);
    }

    private void EnsureScratch(int length)
    {
        if (_scratch.Length != length)
            _scratch = new float[length];
    }
}
