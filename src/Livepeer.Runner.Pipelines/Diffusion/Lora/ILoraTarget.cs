namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// A loaded diffusion model LoRA adapter sets patch: a UNet model (<see cref="DiffusionModel"/>) or a Flux/SD3 one
/// (<see cref="Transformers.TransformerDiffusionModel"/>). Its folder's component graphs are read for their modules;
/// a set runs on the model with some components' sessions replaced by their LoRA branch sessions fed the set's factors.
/// </summary>
public interface ILoraTarget
{
    string ModelId { get; }

    /// <summary>The adapter sets built on this model, disposed with it.</summary>
    LoraSets Loras { get; }

    /// <summary>
    /// This model with <paramref name="patched"/> in place of those components' sessions; every other part, and
    /// <see cref="Loras"/>, shared. The result is never disposed itself: its sessions and inputs stay their owners'.
    /// </summary>
    ILoraTarget WithSessions(IReadOnlyDictionary<LoraComponent, LoraSession> patched);

    /// <summary>
    /// Closes <paramref name="component"/>'s own session for good (RUNNER_LORA_SINGLE_COPY): from then on every request
    /// runs that component on its LoRA branch session, through <see cref="WithSessions"/>. Disposing the model later
    /// disposes it again, which ONNX Runtime allows.
    /// </summary>
    void ReleaseBaseSession(LoraComponent component);
}
