using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Http;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// One request to a pipeline route: the steps an endpoint calls (body reading, auth, the model rule of its front end)
/// and the model that metrics label the request with.
/// </summary>
internal sealed class PipelineCall(HttpContext context, PipelineContract contract, FrontEnd frontEnd, RouteServices services)
{
    public PipelineContract Contract { get; } = contract;

    public RunnerSettings Settings => services.Settings;

    public HttpContext Context { get; } = context;

    public CancellationToken Aborted => Context.RequestAborted;

    /// <summary>The model the request resolved to; empty until <see cref="ResolveModel"/> succeeds.</summary>
    public string ModelId { get; private set; } = "";

    public void Authorize()
    {
        if (!services.Auth.IsAuthorized(Context.Request))
            throw new UnauthorizedException(Contract.UnauthorizedMessage);
    }

    public ModelEntry ResolveModel(string requestedModelId)
    {
        var entry = frontEnd.ResolveModel(services.Catalog, Contract.Pipeline, requestedModelId);
        ModelId = entry.ModelId;
        return entry;
    }

    /// <summary>What the pipeline asks the model manager for: the model, with the front end's rule for a busy model.</summary>
    public LeaseRequest Lease(ModelEntry model) => new(model, frontEnd.WhenBusy);

    /// <summary>Reads a JSON body (bounded) and returns its fields.</summary>
    public async Task<JsonFields> ReadJsonAsync()
    {
        var body = await BodyReader.ReadBoundedAsync(Context.Request, BodyReader.JsonLimit, Aborted);
        return JsonFields.Parse(body);
    }

    /// <summary>Reads a multipart form; file parts beyond <paramref name="fileLimit"/> are measured, not kept.</summary>
    public Task<FormFields> ReadFormAsync(long fileLimit) => FormReader.ReadAsync(Context.Request, fileLimit, Aborted);
}
