using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>/llm and /v1/chat/completions: lease the model, validate and encode the prompt, then hand out the generation.</summary>
public sealed class LlmPipeline(ModelManager models)
{
    /// <summary>Everything that can fail before the first token (validation, loading, context length) fails here, before any reply is sent.</summary>
    public async Task<LlmSession> StartAsync(LeaseRequest model, LlmRequestOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var activations = LlmEngine.ActivationFor(options.Messages.Sum(m => (long)m.Content.Length), options.MaxTokens);
        var lease = await models.AcquireAsync(model with { ActivationBytes = activations }, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Runs the generation to its end and returns the whole text (the non-streaming replies of /llm and /v1/chat/completions).</summary>
    public async Task<LlmCompletion> CompleteAsync(CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        var last = new LlmDelta("", Generation.PromptTokens, 0, null);
        await foreach (var delta in Generation.RunAsync(cancellationToken).ConfigureAwait(false))
        {
            text.Append(delta.Text);
            last = delta;
        }

        return new LlmCompletion(text.ToString(), last.FinishReason ?? "stop", last.PromptTokens, last.CompletionTokens);
    }

    public void Dispose() => lease.Dispose();
}

/// <summary>A finished generation: its text, why it stopped, and the token counts for <c>usage</c>.</summary>
public sealed record LlmCompletion(string Text, string FinishReason, int PromptTokens, int CompletionTokens);
