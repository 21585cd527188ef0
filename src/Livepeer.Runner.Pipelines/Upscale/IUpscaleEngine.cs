using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Upscale;

/// <summary>
/// What a /upscale request asks beyond the image (RUNNER-CONTRACT §2.4). Only the diffusion upscaler reads it; a plain
/// super-resolution graph has no use for a prompt, seed or steps. <paramref name="Steps"/> is as received: below 1
/// means the engine's default.
/// </summary>
public sealed record UpscaleParameters(string Prompt, long Seed, long Steps);

/// <summary>A loaded /upscale model.</summary>
public interface IUpscaleEngine : IDisposable
{
    /// <summary>How many times larger each side of the output is.</summary>
    int Scale { get; }

    /// <summary>The model's NSFW checker, when its folder ships one (a diffusers folder with <c>safety_checker/</c>).</summary>
    SafetyChecker? SafetyChecker => null;

    Task<RgbImage> UpscaleAsync(RgbImage input, UpscaleParameters parameters, CancellationToken cancellationToken);
}
