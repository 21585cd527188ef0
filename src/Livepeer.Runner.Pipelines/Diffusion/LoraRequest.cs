using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>ai-runner's LoraLoadingError: a 400 whose message is sent as it is (the route's appended period included).</summary>
public sealed class LoraException(string message) : BadInputException(message);

/// <summary>
/// The <c>loras</c> form/JSON field (RUNNER-CONTRACT §5.2): JSON object text <c>{"repo/id": weight, …}</c>. Messages
/// carry the period ai-runner's route appends to the LoraLoader's own, hence the "..".
/// </summary>
public static class LoraRequest
{
    public const int MaxAdapters = 4;

    /// <summary>The requested adapters and weights; empty for "" and <c>{}</c> (adapters disabled).</summary>
    public static IReadOnlyDictionary<string, double> Parse(string raw)
    {
        if (raw.Length == 0)
            return new Dictionary<string, double>();

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(raw);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new LoraException($"Unable to parse '{raw}' as JSON..");
        }

        if (root.ValueKind != JsonValueKind.Object)
            throw new LoraException($"Unable to parse '{raw}' as JSON..");

        var adapters = new Dictionary<string, double>();
        foreach (var entry in root.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || entry.Value.GetDouble() is not >= 0)
                throw new LoraException("All strengths must be numbers greater than or equal to 0.0..");
            adapters[entry.Name] = entry.Value.GetDouble();
        }

        if (adapters.Count > MaxAdapters)
            throw new LoraException($"Too many LoRas provided. Maximum is {MaxAdapters}..");
        return adapters;
    }

    /// <summary>
    /// Refuses a valid non-empty request: this engine cannot apply LoRAs yet (issue 5, "applying LoRAs is later work").
    /// Of the contract's load failures, "Unable to load LoRas for adapter '&lt;repo&gt;'." is the one that fits: the
    /// adapter may well exist and match the base model; this runner just cannot load it. It names the first adapter,
    /// as ai-runner fails on the first it cannot load.
    /// </summary>
    public static void EnsureNoneRequested(string raw)
    {
        var adapters = Parse(raw);
        if (adapters.Count > 0)
            throw new LoraException($"Unable to load LoRas for adapter '{adapters.Keys.First()}'..");
    }
}
