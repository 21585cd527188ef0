using System.Security.Cryptography;
using System.Text;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Live;

/// <summary>
/// One configured (pipeline, model) as go-livepeer's Live Runner sees it: a registration with a deterministic,
/// <c>/</c>-free label and its own path prefix, <c>/live/&lt;label&gt;</c>, under which its routes live.
/// </summary>
internal sealed record LiveRegistration(ModelEntry Entry, string Label)
{
    public string Prefix => "/live/" + Label;

    /// <summary>What discovery and the signer match on, exactly: <c>&lt;pipeline&gt;/&lt;model_id&gt;</c>.</summary>
    public string App => Entry.Pipeline + "/" + Entry.ModelId;

    /// <summary>What the registration advertises: the entry's <c>capacity</c>, else go-livepeer's own default of 1.</summary>
    public int Capacity => Entry.Capacity ?? 1;

    /// <summary>Where go-livepeer reaches this registration: the runner's public URL and the prefix.</summary>
    public string RunnerUrl(Uri publicUrl) => publicUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + Prefix;

    /// <summary>Absolute, so it never depends on how the orchestrator joins a relative one (LIVE-RUNNER §2.2).</summary>
    public string HealthUrl(Uri publicUrl) => RunnerUrl(publicUrl) + "/health";

    /// <summary>
    /// The runner id proposed in heartbeats: the label and a short hash of the runner URL, so it is stable across
    /// restarts and two runners serving the same model on different hosts do not claim one id.
    /// </summary>
    public string RunnerId(Uri publicUrl)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(RunnerUrl(publicUrl)));
        return Label + "--" + Convert.ToHexStringLower(hash.AsSpan(0, 4));
    }

    /// <summary><c>text-to-image--SG161222--RealVisXL_V4.0_Lightning</c>: the pipeline and the model id, each <c>/</c> as <c>--</c>.</summary>
    public static string LabelOf(ModelEntry entry) => entry.Pipeline + "--" + entry.ModelId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>Every configured model's registration, in configuration order; two that would share a label stop startup.</summary>
    public static IReadOnlyList<LiveRegistration> From(ModelCatalog catalog)
    {
        var registrations = new List<LiveRegistration>();
        foreach (var entry in catalog.Entries)
        {
            var label = LabelOf(entry);
            if (registrations.FirstOrDefault(r => r.Label == label) is { } other)
                throw new RunnerConfigurationException(
                    $"Live Runner: models '{other.Entry.ModelId}' and '{entry.ModelId}' of pipeline '{entry.Pipeline}' would share the label '{label}'.");
            registrations.Add(new LiveRegistration(entry, label));
        }

        return registrations;
    }
}
