using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Livepeer.Runner.Live;

/// <summary>
/// go-livepeer's checks of a runners.json document (LIVE-RUNNER §2.2 and the §7 checklist), made before we print one,
/// so an operator never hands the orchestrator a file it would refuse at startup. Each error names its entry.
/// </summary>
internal static class StaticRunnerRules
{
    /// <summary>A high ETH/USD rate: a price that still converts to at least 1 wei at this rate does so at any plausible one.</summary>
    public const decimal PlausibleEthUsd = 100_000m;

    private const int MaxMetadataBytes = 1024;

    public static IReadOnlyList<string> Validate(JsonElement document)
    {
        var errors = new List<string>();
        if (document.ValueKind != JsonValueKind.Object || !document.TryGetProperty("runners", out var runners) || runners.ValueKind != JsonValueKind.Array)
            return ["the document must be {\"runners\": [ … ]}"];

        var labels = new HashSet<string>(StringComparer.Ordinal);
        var apps = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var entry in runners.EnumerateArray())
        {
            var name = $"runners[{index++}]";
            if (entry.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{name}: must be an object");
                continue;
            }

            if (String(entry, "label") is { } named)
                name += $" (label '{named}')";
            void Fail(string message) => errors.Add($"{name}: {message}");

            var routing = String(entry, "routing")?.Trim() ?? "runner-id";
            if (routing is not ("runner-id" or "label" or ""))
                Fail("routing must be \"runner-id\" or \"label\"");

            var label = String(entry, "label");
            if (string.IsNullOrEmpty(label) || label.Trim() != label)
                Fail("label is required and must be trimmed");
            else if (!labels.Add(label))
                Fail("label is not unique in the file");
            else if (routing == "label" && label.Contains('/', StringComparison.Ordinal))
                Fail("label must not contain '/' when routing is \"label\"");

            var runnerUrl = String(entry, "runner_url");
            if (!IsHttpUrl(runnerUrl))
                Fail("invalid runner_url (absolute http(s) with a host)");

            var healthUrl = String(entry, "health_url");
            if (healthUrl is null || !(IsHttpUrl(healthUrl) || healthUrl.StartsWith('/')))
                Fail("invalid health_url (absolute http(s), or starting with '/')");

            if (entry.TryGetProperty("healthy_status_code", out var code)
                && !(code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var status) && (status == 0 || status is >= 100 and <= 599)))
                Fail("healthy_status_code must be between 100 and 599");

            var app = String(entry, "app");
            if (string.IsNullOrEmpty(app) || app.Trim() != app)
                Fail("app is required and must be trimmed");
            else if (app.IndexOf('/', StringComparison.Ordinal) is <= 0 || app.EndsWith('/'))
                Fail("app must be shaped 'pipeline/model'");
            else if (!apps.Add(app))
                Fail("app is not unique in the file");

            if (String(entry, "mode") != "single-shot")
                Fail("mode must be \"single-shot\"");

            if (!(entry.TryGetProperty("capacity", out var capacity) && capacity.ValueKind == JsonValueKind.Number && capacity.TryGetInt32(out var slots) && slots >= 1))
                Fail("capacity must be an integer of at least 1");

            if (entry.TryGetProperty("metadata", out var metadata))
            {
                if (metadata.ValueKind != JsonValueKind.String)
                    Fail("metadata must be a string");
                else if (Encoding.UTF8.GetByteCount(metadata.GetString()!) > MaxMetadataBytes || metadata.GetString()!.Contains('\uFFFD', StringComparison.Ordinal))
                    Fail($"metadata must be at most {MaxMetadataBytes} bytes of valid UTF-8");
            }

            if (entry.TryGetProperty("version", out var version) && version.ValueKind != JsonValueKind.String)
                Fail("version must be a string");

            if (entry.TryGetProperty("gpu", out var gpu))
                CheckGpu(gpu, Fail);

            if (entry.TryGetProperty("price_info", out var price))
                CheckPrice(price, Fail);
        }

        return errors;
    }

    private static void CheckGpu(JsonElement gpu, Action<string> fail)
    {
        if (gpu.ValueKind != JsonValueKind.Object)
        {
            fail("gpu must be an object {id, name, vram_mb}");
            return;
        }

        if (!(gpu.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            || !(gpu.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String))
            fail("gpu needs string id and name");
        if (!(gpu.TryGetProperty("vram_mb", out var vram) && vram.ValueKind == JsonValueKind.Number && vram.TryGetInt64(out var mb) && mb >= 0))
            fail("gpu needs an integer vram_mb");
    }

    private static void CheckPrice(JsonElement price, Action<string> fail)
    {
        if (price.ValueKind != JsonValueKind.Object)
        {
            fail("price_info must be an object");
            return;
        }

        if (!(price.TryGetProperty("price", out var usd) && usd.ValueKind == JsonValueKind.Number && usd.TryGetDecimal(out var amount) && amount > 0))
        {
            fail("price_info.price must be a positive decimal");
            return;
        }

        if (price.TryGetProperty("currency", out var currency) && !(currency.ValueKind == JsonValueKind.String && currency.GetString() == "usd"))
            fail("price_info.currency must be absent or \"usd\"");

        var unit = price.TryGetProperty("unit", out var u) ? (u.ValueKind == JsonValueKind.String ? u.GetString() : null) : "hour";
        decimal? perUnit = unit switch
        {
            "hour" => 3600m,
            "720p" => 3600m * 1280 * 720 * 30,
            "fixed" => 1m,
            _ => null,
        };
        if (perUnit is null)
        {
            fail("price_info.unit must be one of hour, 720p, fixed");
            return;
        }

        // go-livepeer truncates price / units / ETHUSD · 10^18 to whole wei and refuses anything below 1.
        var wei = amount / perUnit.Value / PlausibleEthUsd * 1_000_000_000_000_000_000m;
        if (wei < 1)
            fail(string.Create(CultureInfo.InvariantCulture,
                $"price_info.price {amount} USD per {unit} is below 1 wei per {(unit == "hour" ? "second" : unit == "720p" ? "720p pixel-second" : "request")} at {PlausibleEthUsd} USD/ETH"));
    }

    private static string? String(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;
}
