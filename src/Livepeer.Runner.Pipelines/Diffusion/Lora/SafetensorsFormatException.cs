namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// A safetensors file (or the LoRA inside it) is malformed or unusable: truncated, a hostile header, an unknown
/// dtype, keys that name no module. The message says what is wrong; the LoRA route maps it to the contract's own
/// message later (RUNNER-CONTRACT §5.2), so nothing matches on this text.
/// </summary>
public class SafetensorsFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The LoRA is well formed but does not fit the base model: a key names no module of it (or several), or an update's
/// shape is not the module's weight's. The route answers the contract's <c>LoRa incompatible with base model</c>.
/// </summary>
public sealed class LoraMismatchException(string message) : SafetensorsFormatException(message);
