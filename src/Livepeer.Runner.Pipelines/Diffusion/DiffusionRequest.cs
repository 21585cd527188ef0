using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// One generation request after the contract's per-model overrides (<see cref="ModelOverrides"/>).
/// <paramref name="Prompts"/> are prompt, prompt_2, … (text-to-image splits on '|'); the first goes to the first text
/// encoder, the second (or else the first) to SDXL's second. <paramref name="Image"/> is set for image-to-image, of any
/// size; the result is then the image's size and <paramref name="Width"/>/<paramref name="Height"/> are not used.
/// </summary>
public sealed record DiffusionRequest(
    IReadOnlyList<string> Prompts,
    IReadOnlyList<string> NegativePrompts,
    int Width,
    int Height,
    double GuidanceScale,
    int Steps,
    double Strength = 1.0,
    double ImageGuidanceScale = 1.5,
    RgbImage? Image = null)
{
    /// <summary>
    /// ai-runner's text-to-image prompt rule (RUNNER-CONTRACT §2.1): at most 3 splits on '|', parts trimmed, empty
    /// parts dropped.
    /// </summary>
    public static IReadOnlyList<string> SplitPrompt(string text) =>
        [.. text.Split('|', 4).Select(p => p.Trim()).Where(p => p.Length > 0)];
}
