using Livepeer.Runner.Core.Devices;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Hosting;

namespace Livepeer.Runner.Live;

/// <summary>The Live Runner front end's services: its registrations, their health, and dynamic registration when configured.</summary>
internal static class LiveServices
{
    public static void AddLiveRunner(this WebApplicationBuilder builder, ModelCatalog catalog)
    {
        var services = builder.Services;
        services.AddSingleton<IReadOnlyList<LiveRegistration>>(LiveRegistration.From(catalog));
        services.AddSingleton<LiveHealth>();
        services.AddSingleton<LiveSessions>();
        if (LiveRunnerSettings.FromVariables(name => builder.Configuration[name]) is not { } settings)
            return;

        services.AddSingleton(settings);
        services.AddSingleton(provider =>
        {
            var health = provider.GetRequiredService<LiveHealth>();
            var advert = new LiveAdvert(settings.PublicUrl, provider.GetRequiredService<RunnerVersion>().Value,
                LiveGpu.Of(provider.GetRequiredService<ComputeDevice>(), provider.GetRequiredService<GpuInventory>().Devices()));
            return new LiveRegistrar(settings, provider.GetRequiredService<IReadOnlyList<LiveRegistration>>(), advert, health.CanServe,
                provider.GetRequiredService<LiveSessions>(),
                provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILoggerFactory>().CreateLogger("Livepeer.Runner.Live"));
        });
        services.AddHostedService(provider => provider.GetRequiredService<LiveRegistrar>());
    }
}
