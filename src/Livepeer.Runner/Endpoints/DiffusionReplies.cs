using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Diffusion;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// The shared end of /text-to-image and /image-to-image: n images, seeds seed+i, the contract's ImageResponse. With
/// safety_check the model's safety checker (if it has one) sets each nsfw and blacks out flagged images; without a
/// checker nsfw is false and that is logged once per model.
/// </summary>
internal sealed class DiffusionReplies(DiffusionPipeline diffusion, SafetyCheckNotices notices)
{
    public async Task<IResult> GenerateAsync(PipelineCall call, ModelEntry model, DiffusionInput input, long seed, long requestedImages, bool safetyCheck)
    {
        var count = (int)Math.Clamp(requestedImages, 0, int.MaxValue);
        var output = await diffusion.RunAsync(call.Lease(model), input with { SafetyCheck = safetyCheck }, seed, count, call.Aborted);
        if (output.Images.Count > 0 && !output.HasSafetyChecker)
            notices.NoteUnavailable(model.Pipeline, model.ModelId, safetyCheck);
        // nsfw is the checker's verdict when safety_check asked for it and the model has one; false otherwise.
        return MediaReplies.Images([.. output.Images.Select(i => new EncodedMedia(i.Png, i.Seed, i.Nsfw))]);
    }
}
