namespace Livepeer.Runner.Core.Configuration;

/// <summary>One configured model: an aiModels.json entry, or ai-runner's PIPELINE + MODEL_ID.</summary>
/// <param name="Pipeline">The pipeline it serves, e.g. <c>upscale</c>.</param>
/// <param name="ModelId">The id requests name it by (exact, case-sensitive).</param>
/// <param name="Warm">Loaded at startup and never evicted.</param>
/// <param name="Path">A model folder or a single .onnx file; absolute. Null: resolve <see cref="ModelId"/> under MODEL_DIR.</param>
/// <param name="KeepAlive">How long the model stays loaded when idle; null: the global RUNNER_KEEP_ALIVE_SECONDS.</param>
/// <param name="Capacity">
/// go-livepeer's aiModels.json <c>capacity</c>: requests the model runs at once (never more than its engine allows), which
/// the Live Runner also advertises; null: the engine's limit (advertised as 1).
/// </param>
/// <param name="Price">The Live Runner's USD price (<c>price_info</c>); null: none advertised.</param>
public sealed record ModelEntry(string Pipeline, string ModelId, bool Warm, string? Path = null, TimeSpan? KeepAlive = null, int? Capacity = null, LivePrice? Price = null);

/// <summary>
/// A Live Runner price in go-livepeer's registration shape: <paramref name="Price"/> US dollars per
/// <paramref name="Unit"/> (<c>hour</c>, <c>720p</c>: per hour of 720p30 pixels, or <c>fixed</c>: per request).
/// </summary>
public sealed record LivePrice(decimal Price, string Unit)
{
    public static readonly IReadOnlyList<string> Units = ["hour", "720p", "fixed"];

    public string Currency => "usd";
}
