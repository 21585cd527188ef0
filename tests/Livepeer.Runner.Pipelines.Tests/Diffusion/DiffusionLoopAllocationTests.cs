using Livepeer.Runner.Pipelines.Diffusion;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>The denoising loop reuses its buffers: more steps must not mean more latent-sized allocations.</summary>
public sealed class DiffusionLoopAllocationTests
{
    [Theory]
    [InlineData("sd15")]
    [InlineData("sdxl")]
    [InlineData("sd15-fp16")]
    public async Task ExtraSteps_AllocateLessThanALatentEach(string fixture)
    {
        var model = await DiffusionFixtures.LoadAsync(fixture);
        const int width = 256, height = 256;
        var latentBytes = model.Vae.LatentChannels * (width / 8) * (height / 8) * sizeof(float);

        long Allocated(int steps)
        {
            using var generator = new DiffusionGenerator(model, new(["a cat"], [], width, height, 7.5, steps), CancellationToken.None);
            generator.Generate(1, CancellationToken.None); // warm-up: first-run allocations of the sessions and the scheduler
            var before = GC.GetAllocatedBytesForCurrentThread();
            generator.Generate(1, CancellationToken.None);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        await DiffusionFixtures.Turn(model).WaitAsync();
        try
        {
            var perStep = (Allocated(12) - Allocated(2)) / 10.0;
            Assert.True(perStep < latentBytes / 4.0, $"{perStep:F0} bytes per extra step; one latent is {latentBytes} bytes");
        }
        finally
        {
            DiffusionFixtures.Turn(model).Release();
        }
    }
}
