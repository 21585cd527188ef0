namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

public enum BetaSchedule { Linear, ScaledLinear, SquaredCosCapV2 }

/// <summary>What the denoiser predicts: the noise, the velocity (SD2 768, x4 upscaler, SVD) or the clean sample.</summary>
public enum PredictionType { Epsilon, VPrediction, Sample }

/// <summary>How inference timesteps are picked from the training range (Table 2 of arXiv 2305.08891).</summary>
public enum TimestepSpacing { Leading, Trailing, Linspace }

public enum FinalSigmasType { Zero, SigmaMin }

/// <summary>Continuous (0.25·ln σ, as SVD's EDM-style UNet expects) or the usual discrete training timesteps.</summary>
public enum TimestepType { Discrete, Continuous }

public enum SigmaInterpolation { Linear, LogLinear }

public enum DpmAlgorithm { DpmSolverPlusPlus, DpmSolver }

public enum DpmSolverType { Midpoint, Heun }

public enum DdpmVarianceType { FixedSmall, FixedLarge }

/// <summary>The flow-matching resolution shift: e^μ/(e^μ + (1/σ − 1)) or μ/(μ + (1/σ − 1)).</summary>
public enum TimeShiftType { Exponential, Linear }

/// <summary>
/// A diffusers <c>scheduler_config.json</c>, with every key a scheduler here reads. Keys the file leaves out take the
/// default of the diffusers class it names (those differ per class: DDIM clips and sets alpha to one, Euler spaces by
/// linspace, LCM uses the latent-diffusion betas), so two files that diffusers treats alike behave alike here.
/// </summary>
public sealed record SchedulerConfig
{
    public required string ClassName { get; init; }
    public int NumTrainTimesteps { get; init; } = 1000;
    public double BetaStart { get; init; } = 0.0001;
    public double BetaEnd { get; init; } = 0.02;
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary>Explicit betas from the file; when present they replace the schedule above.</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;
    public int StepsOffset { get; init; }
    public bool SetAlphaToOne { get; init; }
    public bool ClipSample { get; init; }
    public double ClipSampleRange { get; init; } = 1.0;
    public bool SkipPrkSteps { get; init; }
    public bool UseKarrasSigmas { get; init; }
    public double? SigmaMin { get; init; }
    public double? SigmaMax { get; init; }
    public TimestepType TimestepType { get; init; } = TimestepType.Discrete;
    public SigmaInterpolation InterpolationType { get; init; } = SigmaInterpolation.Linear;
    public FinalSigmasType FinalSigmasType { get; init; } = FinalSigmasType.Zero;
    public DpmAlgorithm AlgorithmType { get; init; } = DpmAlgorithm.DpmSolverPlusPlus;
    public DpmSolverType SolverType { get; init; } = DpmSolverType.Midpoint;
    public int SolverOrder { get; init; } = 2;
    public bool LowerOrderFinal { get; init; } = true;
    public bool EulerAtFinal { get; init; }
    public double LambdaMinClipped { get; init; } = double.NegativeInfinity;
    public int OriginalInferenceSteps { get; init; } = 50;
    public double TimestepScaling { get; init; } = 10.0;
    public DdpmVarianceType VarianceType { get; init; } = DdpmVarianceType.FixedSmall;
    public bool Thresholding { get; init; }
    public bool RescaleBetasZeroSnr { get; init; }

    // Flow matching (FlowMatchEulerDiscreteScheduler: Flux, SD3/3.5). The defaults are that class's own.

    /// <summary>The static shift σ' = s·σ/(1 + (s − 1)·σ): 1 for FLUX.1-schnell, 3 for SD3/3.5.</summary>
    public double Shift { get; init; } = 1.0;

    /// <summary>Shift by the image's token count instead (FLUX.1-dev): μ is linear in it between the two anchors below.</summary>
    public bool UseDynamicShifting { get; init; }
    public double BaseShift { get; init; } = 0.5;
    public double MaxShift { get; init; } = 1.15;
    public int BaseImageSeqLen { get; init; } = 256;
    public int MaxImageSeqLen { get; init; } = 4096;
    public TimeShiftType TimeShiftType { get; init; } = TimeShiftType.Exponential;

    /// <summary>When set, the shifted schedule is stretched so its last σ is this value (LTX-Video).</summary>
    public double? ShiftTerminal { get; init; }

    public bool InvertSigmas { get; init; }
    public bool StochasticSampling { get; init; }
    public bool UseExponentialSigmas { get; init; }
    public bool UseBetaSigmas { get; init; }
}
