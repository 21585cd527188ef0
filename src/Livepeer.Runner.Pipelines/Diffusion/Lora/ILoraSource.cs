namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>A requested adapter: the hub repository the request named, its local safetensors file, and its weight.</summary>
public sealed record RequestedLora(string Repo, string FilePath, double Weight);

/// <summary>
/// Where adapters come from: the <c>loras</c> keys are hub repository ids, fetched into the model cache by the
/// runner's hub client (an implementation in the runner project, which the pipelines cannot reference).
/// </summary>
public interface ILoraSource
{
    /// <summary>
    /// The local safetensors file of the adapter in <paramref name="repo"/>, downloading it when the runner may. Throws
    /// <see cref="LoraException"/> with the contract's message: <c>LoRa repository '&lt;repo&gt;' not found.</c> or
    /// <c>Unable to load LoRas for adapter '&lt;repo&gt;'.</c>
    /// </summary>
    Task<string> LocateAsync(string repo, CancellationToken cancellationToken);
}
