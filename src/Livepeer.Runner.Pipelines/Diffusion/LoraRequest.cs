using System.Text.Json;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// ai-runner's LoraLoadingError: a 400 whose message is sent as it is, the period ai-runner's route appends included:
/// its LoraLoader's own parse and limit messages end in a period (so "..") while its load failures do not
/// (<c>LoRa repository '&lt;repo&gt;' not found.</c>).
/// </summary>
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
    /// Parses <paramref name="raw"/> and finds each adapter's file through <paramref name="source"/> (downloads happen
    /// here, before the request takes its model's turn), in the request's order, as ai-runner loads them.
    /// </summary>
    public static async Task<IReadOnlyList<RequestedLora>> ResolveAsync(string raw, ILoraSource source, CancellationToken cancellationToken)
    {
        var adapters = Parse(raw);
        var resolved = new List<RequestedLora>(adapters.Count);
        foreach (var (repo, weight) in adapters)
            resolved.Add(new RequestedLora(repo, await source.LocateAsync(repo, cancellationToken).ConfigureAwait(false), weight));
        return resolved;
    }
}
