namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' DDIMScheduler with η = 0 (what the pipelines use): x_prev = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev)·ε̂ (Song et al.
/// 2020, eq. 12). The x4 upscaler ships it with v-prediction.
/// </summary>
public sealed class DdimScheduler(SchedulerConfig config, NoiseSchedule schedule) : AlphaSchedulerBase(config, schedule)
{
    private float[] _original = [];

    public override void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        var t = TimestepAt(step);
        // DDIM steps back by the leading ratio whatever the spacing, as diffusers does.
        var alpha = Schedule.AlphaCumprod(t);
        var alphaPrev = AlphaProdOrFinal(t - (Config.NumTrainTimesteps / InferenceSteps));
        var (xs, xm) = LatentMath.OriginalFromAlpha(Config.PredictionType, alpha);
        var (es, em) = LatentMath.EpsilonFromAlpha(Config.PredictionType, alpha);
        var a = Math.Sqrt(alphaPrev);
        var b = Math.Sqrt(1 - alphaPrev);

        if (!Config.ClipSample)
        {
            LatentMath.Combine((a * xs) + (b * es), sample, (a * xm) + (b * em), modelOutput, previous);
            return;
        }

        // Clipping x̂₀ breaks linearity: build it apart; ε̂ stays the unclipped one (use_clipped_model_output = false).
        if (_original.Length != sample.Length)
            _original = new float[sample.Length];
        LatentMath.Combine(xs, sample, xm, modelOutput, _original);
        LatentMath.Clamp(_original, Config.ClipSampleRange);
        LatentMath.Combine(b * es, sample, b * em, modelOutput, previous);
        LatentMath.AddScaled(previous, a, _original);
    }
}
