namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// diffusers' DPMSolverMultistepScheduler, orders 1 and 2 — "DPM++ 2M" (Lu et al. 2022, arXiv 2211.01095, Alg. 2),
/// optionally on Karras σ. It integrates in λ = ln(α/σ) with the data prediction x̂₀ (dpmsolver++) or the noise
/// prediction (dpmsolver), reusing the previous step's prediction for the second-order term.
/// </summary>
public sealed class DpmSolverMultistepScheduler(SchedulerConfig config, NoiseSchedule schedule) : IDiffusionScheduler
{
    private float[] _timesteps = [];
    private float[] _sigmas = [];
    private int _skipped;
    private int _fullSteps;

    // The converted prediction of this step and of the previous one; swapped, never reallocated per step.
    private float[] _current = [];
    private float[] _previous = [];
    private int _lastStep = -1;

    public SchedulerConfig Config { get; } = config;

    public ReadOnlySpan<float> Timesteps => _timesteps;

    public ReadOnlySpan<float> Sigmas => _sigmas;

    public float InitNoiseSigma => 1f;

    public void SetTimesteps(int steps, double strength = 1.0)
    {
        TimestepGrid.ValidateSteps(steps, Config);
        var (timesteps, sigmas) = DpmSolverSchedule.Build(Config, schedule, steps);
        _fullSteps = timesteps.Length;
        _skipped = TimestepGrid.SkippedSteps(_fullSteps, strength);
        _timesteps = [.. timesteps[_skipped..].Select(t => (float)t)];
        _sigmas = [.. sigmas[_skipped..].Select(s => (float)s)];
        _lastStep = -1;
    }

    public void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination)
    {
        if (!sample.Overlaps(destination))
            sample.CopyTo(destination);
    }

    public void Step(ReadOnlySpan<float> modelOutput, int step, ReadOnlySpan<float> sample, Span<float> previous, INoiseSource noise)
    {
        if (_current.Length != sample.Length)
        {
            _current = new float[sample.Length];
            _previous = new float[sample.Length];
            _lastStep = -1;
        }

        (_current, _previous) = (_previous, _current);
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[step]);
        var (cs, cm) = ConvertedOutput(alphaS, sigmaS);
        LatentMath.Combine(cs, sample, cm, modelOutput, _current);

        var (alphaT, sigmaT) = AlphaSigma(_sigmas[step + 1]);
        var h = Lambda(alphaT, sigmaT) - Lambda(alphaS, sigmaS);
        var plusPlus = Config.AlgorithmType is DpmAlgorithm.DpmSolverPlusPlus;
        var sampleCoefficient = plusPlus ? sigmaT / sigmaS : alphaT / alphaS;
        // The first-order (DDIM-like) update: the coefficient of D0 = the current prediction.
        var d0 = plusPlus ? -alphaT * double.ExpM1(-h) : -sigmaT * double.ExpM1(h);

        if (Config.SolverOrder == 1 || _lastStep != step - 1 || step < 1 || LowerOrderFinal(step))
        {
            LatentMath.Combine(sampleCoefficient, sample, d0, _current, previous);
        }
        else
        {
            // D1 = (m₀ − m₁)/r₀ with r₀ = h₀/h, h₀ the previous λ interval.
            var (alphaS1, sigmaS1) = AlphaSigma(_sigmas[step - 1]);
            var r0 = (Lambda(alphaS, sigmaS) - Lambda(alphaS1, sigmaS1)) / h;
            var d1 = Config.SolverType is DpmSolverType.Midpoint
                ? 0.5 * d0
                : plusPlus ? alphaT * ((double.ExpM1(-h) / h) + 1) : -sigmaT * ((double.ExpM1(h) / h) - 1);
            LatentMath.Combine(sampleCoefficient, sample, d0 + (d1 / r0), _current, previous);
            LatentMath.AddScaled(previous, -d1 / r0, _previous);
        }

        _lastStep = step;
    }

    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int step, Span<float> destination)
    {
        var (alpha, sigma) = AlphaSigma(_sigmas[step]);
        LatentMath.Combine(alpha, original, sigma, noise, destination);
    }

    /// <summary>
    /// diffusers drops to first order on the last step for short schedules, or whenever it ends at σ = 0 (where
    /// λ is infinite), and on a final Euler step when asked; it counts the whole schedule, before strength.
    /// </summary>
    private bool LowerOrderFinal(int step)
    {
        var absolute = step + _skipped;
        var shortSchedule = Config.LowerOrderFinal && _fullSteps < 15;
        if (absolute == _fullSteps - 1)
            return Config.EulerAtFinal || shortSchedule || Config.FinalSigmasType is FinalSigmasType.Zero;
        return absolute == _fullSteps - 2 && shortSchedule && Config.SolverOrder > 2;
    }

    /// <summary>The VP pair for a VE σ: α = 1/√(σ²+1), σ_VP = σ·α.</summary>
    private static (double Alpha, double Sigma) AlphaSigma(double sigma)
    {
        var alpha = 1 / Math.Sqrt((sigma * sigma) + 1);
        return (alpha, sigma * alpha);
    }

    private static double Lambda(double alpha, double sigma) => Math.Log(alpha) - Math.Log(sigma);

    /// <summary>The coefficients turning (sample, output) into x̂₀ (dpmsolver++) or ε̂ (dpmsolver).</summary>
    private (double Sample, double Output) ConvertedOutput(double alpha, double sigma) =>
        (Config.AlgorithmType, Config.PredictionType) switch
        {
            (DpmAlgorithm.DpmSolverPlusPlus, PredictionType.Epsilon) => (1 / alpha, -sigma / alpha),
            (DpmAlgorithm.DpmSolverPlusPlus, PredictionType.VPrediction) => (alpha, -sigma),
            (DpmAlgorithm.DpmSolverPlusPlus, _) => (0, 1),
            (_, PredictionType.Epsilon) => (0, 1),
            (_, PredictionType.VPrediction) => (sigma, alpha),
            _ => (1 / sigma, -alpha / sigma),
        };
}
