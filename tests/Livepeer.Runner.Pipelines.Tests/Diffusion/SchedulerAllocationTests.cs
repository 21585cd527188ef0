using Livepeer.Runner.Pipelines.Diffusion.Schedulers;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers.SchedulerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Schedulers;

public sealed class SchedulerAllocationTests
{
    public static TheoryData<string> Configs() =>
    [
        """{"_class_name": "EulerDiscreteScheduler"}""",
        """{"_class_name": "EulerAncestralDiscreteScheduler"}""",
        """{"_class_name": "DDIMScheduler"}""",
        """{"_class_name": "PNDMScheduler", "skip_prk_steps": true}""",
        """{"_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": true}""",
        """{"_class_name": "LCMScheduler"}""",
        """{"_class_name": "DDPMScheduler"}""",
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void StepsAfterTheFirst_AllocateNothing(string json)
    {
        var scheduler = FromJson(json);
        scheduler.SetTimesteps(8);
        var latent = new float[4 * 32 * 32];
        var output = new float[latent.Length];
        var scaled = new float[latent.Length];
        latent.AsSpan().Fill(0.5f);
        output.AsSpan().Fill(0.1f);
        var noise = new GaussianNoise(1);

        // The first step sizes the scheduler's history and scratch buffers, once per latent size.
        scheduler.Step(output, 0, latent, latent, noise);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < scheduler.Timesteps.Length; i++)
        {
            scheduler.ScaleModelInput(latent, i, scaled);
            scheduler.Step(output, i, latent, latent, noise);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.All(latent, v => Assert.True(float.IsFinite(v)));
    }
}
