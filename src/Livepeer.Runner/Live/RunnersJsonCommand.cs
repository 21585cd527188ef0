using System.Text.Json;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Livepeer.Runner.Live;

/// <summary>
/// <c>runners-json --public-url http://&lt;host&gt;:8000</c>: prints the runners.json that registers every configured
/// model with go-livepeer (<c>-liveRunnerConfig</c>), from the same configuration the runner serves with. The document
/// is checked against go-livepeer's rules before it is printed.
/// </summary>
internal static class RunnersJsonCommand
{
    public const string Name = "runners-json";

    public static int Run(IReadOnlyList<string> args, Func<string, string?> variables, TextWriter output, TextWriter error)
    {
        try
        {
            var publicUrl = PublicUrl(args, variables);
            var settings = RunnerSettings.FromVariables(variables);
            var registrations = LiveRegistration.From(new ModelCatalog(ModelCatalogLoader.Load(settings)));
            var advert = new LiveAdvert(publicUrl, RunnerVersion.Resolve(settings.Version).Value, Gpu(settings, variables));
            var json = Render(registrations, advert);
            output.WriteLine(json);
            return 0;
        }
        catch (RunnerConfigurationException e)
        {
            error.WriteLine($"Livepeer.Runner {Name}: {e.Message}");
            return 2;
        }
    }

    /// <summary>The document, checked: an entry go-livepeer would refuse is an error naming the entry.</summary>
    public static string Render(IReadOnlyList<LiveRegistration> registrations, LiveAdvert advert)
    {
        var json = JsonSerializer.Serialize(new StaticRunnersFile([.. registrations.Select(advert.StaticEntry)]), LiveJson.Default.StaticRunnersFile);
        using var document = JsonDocument.Parse(json);
        var problems = StaticRunnerRules.Validate(document.RootElement);
        if (problems.Count > 0)
            throw new RunnerConfigurationException("the runners.json would be refused by go-livepeer: " + string.Join("; ", problems));
        return json;
    }

    private static Uri PublicUrl(IReadOnlyList<string> args, Func<string, string?> variables)
    {
        string? value = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--public-url" && i + 1 < args.Count)
                value = args[++i];
            else if (args[i].StartsWith("--public-url=", StringComparison.Ordinal))
                value = args[i]["--public-url=".Length..];
            else
                throw new RunnerConfigurationException($"unknown argument '{args[i]}'; usage: {Name} --public-url http://<host>:8000");
        }

        return LiveRunnerSettings.ParsePublicUrl(value ?? variables(LiveRunnerSettings.PublicUrlVariable), "--public-url");
    }

    /// <summary>The GPU the runner would serve on, as NVML names it; none on the CPU execution provider or without NVML.</summary>
    private static LiveGpu? Gpu(RunnerSettings settings, Func<string, string?> variables)
    {
        if (settings.ExecutionProvider == "cpu")
            return null;
        using var inventory = new GpuInventory(NullLogger<GpuInventory>.Instance);
        var gpus = inventory.Devices();
        if (gpus.Count == 0)
            return null;
        return LiveGpu.Of(DeviceDiscovery.Select(settings, cuda: true, gpus, variables), gpus);
    }
}
