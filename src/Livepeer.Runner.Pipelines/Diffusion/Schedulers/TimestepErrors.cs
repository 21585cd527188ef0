using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>
/// Where a scheduler's refusal of a request's steps or strength belongs: diffusers raises it as a ValueError inside
/// the pipeline call, which ai-runner answers as an InferenceError, so a generator setting timesteps turns the
/// scheduler's <see cref="BadInputException"/> into an <see cref="InferenceException"/>.
/// </summary>
internal static class TimestepErrors
{
    public static void AsInferenceError(Action setTimesteps)
    {
        try
        {
            setTimesteps();
        }
        catch (BadInputException e)
        {
            throw new InferenceException(e.Message, e);
        }
    }
}
