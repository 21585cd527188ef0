using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>Builds the scheduler a model's <c>scheduler_config.json</c> names, or says plainly why it cannot.</summary>
public static class SchedulerFactory
{
    public static IDiffusionScheduler Load(string configPath, string modelId) =>
        Create(SchedulerConfigReader.Load(configPath, modelId), modelId);

    public static IDiffusionScheduler Create(SchedulerConfig config, string modelId)
    {
        RejectUnsupported(config, modelId);
        var schedule = NoiseSchedule.From(config, modelId);
        return config.ClassName switch
        {
            SchedulerClassNames.EulerDiscrete => new EulerDiscreteScheduler(config, schedule),
            SchedulerClassNames.EulerAncestral => new EulerAncestralScheduler(config, schedule),
            SchedulerClassNames.Ddim => new DdimScheduler(config, schedule),
            SchedulerClassNames.Pndm => new PndmScheduler(config, schedule),
            SchedulerClassNames.DpmSolverMultistep => new DpmSolverMultistepScheduler(config, schedule),
            SchedulerClassNames.Lcm => new LcmScheduler(config, schedule),
            SchedulerClassNames.Ddpm => new DdpmScheduler(config, schedule),
            _ => throw new ModelLoadException(modelId,
                $"Scheduler '{config.ClassName}' is not supported; supported: {string.Join(", ", Supported)}."),
        };
    }

    public static IReadOnlyList<string> Supported { get; } =
    [
        SchedulerClassNames.EulerDiscrete, SchedulerClassNames.EulerAncestral, SchedulerClassNames.Ddim, SchedulerClassNames.Pndm,
        SchedulerClassNames.DpmSolverMultistep, SchedulerClassNames.Lcm, SchedulerClassNames.Ddpm,
    ];

    /// <summary>Options diffusers offers that these schedulers do not implement: refuse them rather than run something else.</summary>
    private static void RejectUnsupported(SchedulerConfig config, string modelId)
    {
        string? problem = config switch
        {
            { Thresholding: true } => "thresholding (dynamic thresholding) is not supported",
            { RescaleBetasZeroSnr: true } => "rescale_betas_zero_snr is not supported",
            { ClassName: SchedulerClassNames.Pndm, SkipPrkSteps: false } =>
                "PNDM without skip_prk_steps (its Runge–Kutta warm-up) is not supported; Stable Diffusion configs set skip_prk_steps",
            { ClassName: SchedulerClassNames.Pndm, PredictionType: PredictionType.Sample } => "PNDM does not support prediction_type 'sample'",
            { ClassName: SchedulerClassNames.DpmSolverMultistep, SolverOrder: not (1 or 2) } =>
                $"DPM-Solver order {config.SolverOrder} is not supported (orders 1 and 2 are)",
            { ClassName: SchedulerClassNames.DpmSolverMultistep, AlgorithmType: DpmAlgorithm.DpmSolver, FinalSigmasType: FinalSigmasType.Zero } =>
                "algorithm_type 'dpmsolver' needs final_sigmas_type 'sigma_min' (diffusers refuses it too)",
            _ => null,
        };
        if (problem is not null)
            throw new ModelLoadException(modelId, $"Scheduler '{config.ClassName}': {problem}.");
    }
}
