namespace Livepeer.Runner.Core.Configuration;

/// <summary>One configured model: an aiModels.json entry, or ai-runner's PIPELINE + MODEL_ID.</summary>
/// <param name="Pipeline">The pipeline it serves, e.g. <c>upscale</c>.</param>
/// <param name="ModelId">The id requests name it by (exact, case-sensitive).</param>
/// <param name="Warm">Loaded at startup and never evicted.</param>
/// <param name="Path">A model folder or a single .onnx file; absolute. Null: resolve <see cref="ModelId"/> under MODEL_DIR.</param>
/// <param name="KeepAlive">How long the model stays loaded when idle; null: the global RUNNER_KEEP_ALIVE_SECONDS.</param>
/// <param name="Capacity">go-livepeer's <c>capacity</c>: requests the model runs at once (never more than its engine allows); null: the engine's.</param>
public sealed record ModelEntry(string Pipeline, string ModelId, bool Warm, string? Path = null, TimeSpan? KeepAlive = null, int? Capacity = null);
