namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' PNDMScheduler in its PLMS form (skip_prk_steps, as Stable Diffusion 1.5 ships it): a linear multistep
/// method over the last four model outputs (Liu et al. 2022, eq. 12), each applied with the pseudo-numerical
/// transfer of eq. 9. Its schedule repeats the second timestep: the second call is the correction half of a
/// two-stage first step (a Heun-like average of the first two outputs, restarted from the first sample).
/// </summary>
public sealed class PndmScheduler(SchedulerConfig config, NoiseSchedule schedule) : AlphaSchedulerBase(config, schedule)
{
    private const int History = 4;

    // Model outputs, newest last; _outputs[(_first + k) % 4] is the k-th oldest of _count.
    private readonly float[][] _outputs = new float[History][];
    private int _first;
    private int _count;
    private float[] _firstSample = [];
    private float[] _combined = [];

    public override void SetTimesteps(int steps, double strength = 1.0)
    {
        base.SetTimesteps(steps, strength);
        _first = 0;
        _count = 0;
    }

    /// <summary>[t₀, t₁, t₁, t₂, …, t_last]: the leading/trailing/linspace grid with its second entry repeated.</summary>
    protected override double[] BuildTimesteps(int steps)
    {
        var grid = TimestepGrid.Descending(Config, steps, roundLinspace: true);
        return grid.Length < 2 ? grid : [grid[0], grid[1], .. grid[1..]];
    }

    public override void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        EnsureBuffers(sample.Length);
        var ratio = Config.NumTrainTimesteps / InferenceSteps;
        var t = TimestepAt(step);
        var prevT = t - ratio;
        ReadOnlySpan<float> from = sample;

        if (step == 1)
        {
            // Second half of the first step: redo t₀ → t₁ from the first sample with the mean of both outputs.
            prevT = t;
            t += ratio;
            LatentMath.Combine(0.5, modelOutput, 0.5, Output(_count - 1), _combined);
            from = _firstSample;
        }
        else
        {
            Push(modelOutput);
            if (step == 0)
                sample.CopyTo(_firstSample);
            Extrapolate(_combined);
        }

        Transfer(from, t, prevT, _combined, previous);
    }

    /// <summary>Adams–Bashforth weights of order 1 to 4 over the stored outputs (eq. 12).</summary>
    private void Extrapolate(Span<float> destination)
    {
        switch (_count)
        {
            case 1:
                Output(0).CopyTo(destination);
                break;
            case 2:
                LatentMath.Combine(3 / 2.0, Output(1), -1 / 2.0, Output(0), destination);
                break;
            case 3:
                LatentMath.Combine(23 / 12.0, Output(2), -16 / 12.0, Output(1), destination);
                LatentMath.AddScaled(destination, 5 / 12.0, Output(0));
                break;
            default:
                LatentMath.Combine(55 / 24.0, Output(3), -59 / 24.0, Output(2), destination);
                LatentMath.AddScaled(destination, 37 / 24.0, Output(1));
                LatentMath.AddScaled(destination, -9 / 24.0, Output(0));
                break;
        }
    }

    /// <summary>Eq. 9: x_prev = √(ᾱ_prev/ᾱ)·x − (ᾱ_prev − ᾱ)·ε / (ᾱ·√(1−ᾱ_prev) + √(ᾱ(1−ᾱ)ᾱ_prev)).</summary>
    private void Transfer(ReadOnlySpan<float> sample, int t, int prevT, ReadOnlySpan<float> output, Span<float> previous)
    {
        var alpha = Schedule.AlphaCumprod(t);
        var alphaPrev = AlphaProdOrFinal(prevT);
        var sampleCoefficient = Math.Sqrt(alphaPrev / alpha);
        var denominator = (alpha * Math.Sqrt(1 - alphaPrev)) + Math.Sqrt(alpha * (1 - alpha) * alphaPrev);
        var outputCoefficient = -(alphaPrev - alpha) / denominator;

        // A v-prediction output becomes ε = √ᾱ·v + √(1−ᾱ)·x before the transfer; folded into the coefficients.
        if (Config.PredictionType is PredictionType.VPrediction)
        {
            sampleCoefficient += outputCoefficient * Math.Sqrt(1 - alpha);
            outputCoefficient *= Math.Sqrt(alpha);
        }

        LatentMath.Combine(sampleCoefficient, sample, outputCoefficient, output, previous);
    }

    private void Push(ReadOnlySpan<float> modelOutput)
    {
        if (_count == History)
        {
            _first = (_first + 1) % History;
            _count--;
        }

        modelOutput.CopyTo(_outputs[(_first + _count) % History]);
        _count++;
    }

    private float[] Output(int age) => _outputs[(_first + age) % History];

    private void EnsureBuffers(int length)
    {
        if (_combined.Length == length)
            return;
        for (var i = 0; i < History; i++)
            _outputs[i] = new float[length];
        _firstSample = new float[length];
        _combined = new float[length];
    }
}
