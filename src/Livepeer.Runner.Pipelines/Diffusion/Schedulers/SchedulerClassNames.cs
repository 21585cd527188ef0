namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>The <c>_class_name</c> values of the diffusers schedulers this runner implements.</summary>
public static class SchedulerClassNames
{
    public const string EulerDiscrete = "EulerDiscreteScheduler";
    public const string EulerAncestral = "EulerAncestralDiscreteScheduler";
    public const string Ddim = "DDIMScheduler";
    public const string Pndm = "PNDMScheduler";
    public const string DpmSolverMultistep = "DPMSolverMultistepScheduler";
    public const string Lcm = "LCMScheduler";
    public const string Ddpm = "DDPMScheduler";
    public const string FlowMatchEuler = "FlowMatchEulerDiscreteScheduler";
}
