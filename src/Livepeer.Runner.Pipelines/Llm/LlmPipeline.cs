using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>/llm and /v1/chat/completions: lease the model, validate and encode the prompt, then hand out the generation.</summary>
public sealed class LlmPipeline(ModelManager models)
{
    /// <summary>Everything that can fail before the first token (validation, loading, context length) fails here, before any reply is sent.</summary>
    public async Task<LlmSession> StartAsync(ModelEntry model, LlmRequestOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        try
        {
            return new LlmSession(lease, new LlmGeneration(lease.Get<LlmModel>(), options));
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}

/// <summary>A generation and the lease that keeps its model loaded; dispose when the reply is done.</summary>
public sealed class LlmSession(ModelLease lease, LlmGeneration generation) : IDisposable
{
    public LlmGeneration Generation { get; } = generation;

    public void Dispose() => lease.Dispose();
}
