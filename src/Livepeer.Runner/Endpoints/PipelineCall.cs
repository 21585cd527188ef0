using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// One request to a pipeline route: the contract's checks in the contract's order, as steps a handler calls
/// (auth, model rule), and the model that metrics label the request with.
/// </summary>
internal sealed class PipelineCall(HttpContext context, PipelineContract contract, ModelCatalog catalog, BearerAuth auth, RunnerSettings settings)
{
    public PipelineContract Contract { get; } = contract;

    public RunnerSettings Settings { get; } = settings;

    public HttpContext Context { get; } = context;

    public CancellationToken Aborted => Context.RequestAborted;

    /// <summary>The model the request resolved to; empty until <see cref="ResolveModel"/> succeeds.</summary>
    public string ModelId { get; private set; } = "";

    public void Authorize()
    {
        if (!auth.IsAuthorized(Context.Request))
            throw new UnauthorizedException(Contract.UnauthorizedMessage);
    }

    public ModelEntry ResolveModel(string requestedModelId)
    {
        var entry = catalog.Resolve(Contract.Pipeline, requestedModelId);
        ModelId = entry.ModelId;
        return entry;
    }

    /// <summary>The reply of a route whose engine this build does not have yet: a 500 naming what is missing.</summary>
    public Exception EngineNotBuilt(ModelEntry model) => Engines.Unavailable(Contract.Pipeline, model.ModelId);

    /// <summary>Reads a JSON body (bounded) and returns its fields.</summary>
    public async Task<JsonFields> ReadJsonAsync()
    {
        var body = await BodyReader.ReadBoundedAsync(Context.Request, BodyReader.JsonLimit, Aborted);
        return JsonFields.Parse(body);
    }

    /// <summary>Reads a multipart form; file parts beyond <paramref name="fileLimit"/> are measured, not kept.</summary>
    public Task<FormFields> ReadFormAsync(long fileLimit) => FormReader.ReadAsync(Context.Request, fileLimit, Aborted);
}
