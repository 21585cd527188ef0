using Livepeer.Runner.Pipelines.Diffusion.Schedulers;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// ai-runner's per-model adjustments, decided by model id as it decides them (RUNNER-CONTRACT §2.1, §2.2, §5.1):
/// turbo models (exact ids) and ByteDance SDXL-Lightning (substring) run without guidance; Lightning runs the 2, 4 or 8
/// steps its checkpoint was distilled for, with trailing timesteps; turbo image-to-image keeps at least one step.
/// </summary>
public static class ModelOverrides
{
    private const string Lightning = "ByteDance/SDXL-Lightning";

    public static bool IsTurbo(string modelId) => modelId is "stabilityai/sdxl-turbo" or "stabilityai/sd-turbo";

    public static bool IsLightning(string modelId) => modelId.Contains(Lightning, StringComparison.Ordinal);

    public static double GuidanceScale(string modelId, double requested) =>
        IsTurbo(modelId) || IsLightning(modelId) ? 0.0 : requested;

    /// <summary>Steps below 1 mean "the pipeline's default" (50; instruct-pix2pix 100); Lightning uses the id's 2/4/8 (default 8).</summary>
    public static int Steps(string modelId, long requested, int pipelineDefault)
    {
        if (IsLightning(modelId))
            return modelId.Contains("2step", StringComparison.Ordinal) ? 2 : modelId.Contains("4step", StringComparison.Ordinal) ? 4 : 8;
        return requested < 1 ? pipelineDefault : (int)Math.Min(requested, 10_000);
    }

    public static double Strength(string modelId, double requested, int steps) =>
        IsTurbo(modelId) ? Math.Max(1.0 / steps, requested) : requested;

    public static SchedulerConfig Scheduler(string modelId, SchedulerConfig config) =>
        IsLightning(modelId) && config.ClassName == SchedulerClassNames.EulerDiscrete
            ? config with { TimestepSpacing = TimestepSpacing.Trailing }
            : config;
}
