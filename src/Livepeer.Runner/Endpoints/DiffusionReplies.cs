using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Imaging;

namespace Livepeer.Runner.Endpoints;

/// <summary>The shared end of /text-to-image and /image-to-image: n images, seeds seed+i, the contract's ImageResponse.</summary>
internal static class DiffusionReplies
{
    public static async Task<IResult> GenerateAsync(PipelineCall call, ModelEntry model, DiffusionInput input, long seed, long requestedImages, bool safetyCheck)
    {
        var services = call.Context.RequestServices;
        var count = (int)Math.Clamp(requestedImages, 0, int.MaxValue);
        var images = await services.GetRequiredService<DiffusionPipeline>().RunAsync(model, input, seed, count, call.Aborted);
        if (images.Count > 0)
            services.GetRequiredService<SafetyCheckNotices>().NoteUnavailable(model.Pipeline, model.ModelId, safetyCheck);
        return Results.Json(new ImageResponse([.. images.Select(i => new Media(DataUrl.Png(i.Png), i.Seed, Nsfw: false))]), RunnerJson.Wire.ImageResponse);
    }
}
