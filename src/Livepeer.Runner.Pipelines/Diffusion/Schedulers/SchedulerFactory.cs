using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>Builds the scheduler a model's <c>scheduler_config.json</c> names, or says plainly why it cannot.</summary>
public static class SchedulerFactory
{
    public static IDiffusionScheduler Load(string configPath, string modelId) =>
        Create(SchedulerConfigReader.Load(configPath, modelId), modelId);

    /// <summary>
    /// <see cref="Create"/> for a UNet pipeline, which predicts noise or velocity in the DDPM sense: the flow-matching
    /// class belongs to diffusion transformers (Flux, SD3) and would denoise a UNet's output wrongly, so it is refused.
    /// </summary>
    public static IDiffusionScheduler CreateForUnet(SchedulerConfig config, string modelId) =>
        config.ClassName == SchedulerClassNames.FlowMatchEuler
            ? throw new ModelLoadException(modelId,
                $"Scheduler '{config.ClassName}' drives diffusion transformers (Flux, SD3), not a UNet pipeline.")
            : Create(config, modelId);

    public static IDiffusionScheduler Create(SchedulerConfig config, string modelId)
    {
        RejectUnsupported(config, modelId);

        // Flow matching has no β schedule: σ runs linearly from 1 to 0 before its shift.
        if (config.ClassName == SchedulerClassNames.FlowMatchEuler)
            return new FlowMatchEulerScheduler(config);

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
        SchedulerClassNames.DpmSolverMultistep, SchedulerClassNames.Lcm, SchedulerClassNames.Ddpm, SchedulerClassNames.FlowMatchEuler,
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
            { ClassName: SchedulerClassNames.FlowMatchEuler } => FlowMatchProblem(config),
            _ => null,
        };
        if (problem is not null)
            throw new ModelLoadException(modelId, $"Scheduler '{config.ClassName}': {problem}.");
    }

    private static string? FlowMatchProblem(SchedulerConfig config) => config switch
    {
        { StochasticSampling: true } => "stochastic_sampling is not supported",
        { InvertSigmas: true } => "invert_sigmas (Mochi) is not supported",
        { UseKarrasSigmas: true } or { UseExponentialSigmas: true } or { UseBetaSigmas: true } =>
            "Karras, exponential and beta sigmas are not supported for flow matching",
        { UseDynamicShifting: false, Shift: <= 0 } => $"shift must be positive, got {config.Shift}",
        { UseDynamicShifting: true, MaxImageSeqLen: var max, BaseImageSeqLen: var b } when max == b =>
            "base_image_seq_len and max_image_seq_len must differ for dynamic shifting",
        { ShiftTerminal: >= 1 } => $"shift_terminal must be below 1, got {config.ShiftTerminal}",
        _ => null,
    };
}
