using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Live;

/// <summary>
/// Whether a registration can serve now or can be loaded: what its health route and its heartbeat status say.
/// A look at the model manager's state, never a wait on a model or a queue, so it stays fast under load.
/// </summary>
internal sealed class LiveHealth(ModelManager models, EngineRegistry engines, IHostApplicationLifetime lifetime)
{
    public bool CanServe(LiveRegistration registration) =>
        !lifetime.ApplicationStopping.IsCancellationRequested
        && engines.IsBuilt(registration.Entry.Pipeline)
        && models.CanServe(registration.Entry);
}
