using Livepeer.Runner.Core.Errors;

using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>What a client asked to generate, already validated.</summary>
public sealed record LlmRequestOptions(
    IReadOnlyList<ChatMessage> Messages,
    double Temperature,
    double TopP,
    int TopK,
    int MaxTokens,
    long? Seed = null,
    IReadOnlyList<string>? Stop = null)
{
    /// <summary>ai-runner's checks (RUNNER-CONTRACT §2.7): they fail the request before any token is generated.</summary>
    public void Validate()
    {
        if (Messages.Count == 0)
            throw new BadInputException("messages must not be empty.");
        if (Messages.FirstOrDefault(m => m.Role is not ("system" or "user" or "assistant")) is { } bad)
            throw new BadInputException($"Unsupported message role '{bad.Role}': expected system, user or assistant.");
        if (Temperature is < 0 or > 2 || double.IsNaN(Temperature))
            throw new BadInputException("temperature must be between 0 and 2.");
        if (TopP is < 0 or > 1 || double.IsNaN(TopP))
            throw new BadInputException("top_p must be between 0 and 1.");
        if (MaxTokens < 1)
            throw new BadInputException("max_tokens must be at least 1.");
    }
}

/// <summary>A piece of generated text, or the end of generation with its reason and token counts.</summary>
public readonly record struct LlmDelta(string Text, int PromptTokens, int CompletionTokens, string? FinishReason);

/// <summary>
/// One request's generation: prompt tokens encoded and checked against the context before anything is sent,
/// then prefill and one decode step per token, yielding text as soon as it forms whole characters. Owns its
/// KV cache; the model stays leased by the caller.
/// </summary>
public sealed class LlmGeneration
{
    private readonly LlmModel _model;
    private readonly LlmRequestOptions _options;
    private readonly List<int> _promptIds;

    public LlmGeneration(LlmModel model, LlmRequestOptions options)
    {
        options.Validate();
        _model = model;
        _options = options;
        _promptIds = model.Tokenizer.Encode(model.Prompt.Render(options.Messages), model.Prompt.AddsBos);
        var context = model.Config.ContextLength;
        if (_promptIds.Count >= context)
            throw new BadInputException($"Input sequence length ({_promptIds.Count}) exceeds maximum allowed ({context - 1}).");
    }

    public int PromptTokens => _promptIds.Count;

    public async IAsyncEnumerable<LlmDelta> RunAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var decoder = _model.Decoder;
        var tokenizer = _model.Tokenizer;
        var maxNew = Math.Min(_options.MaxTokens, _model.Config.ContextLength - _promptIds.Count);
        var sampler = new TokenSampler(_options.Temperature, _options.TopP, _options.TopK, _options.Seed);
        var stops = _options.Stop ?? [];

        using var state = decoder.Start();
        decoder.Forward(state, _promptIds.Select(id => (long)id).ToArray(), cancellationToken);

        var incremental = new IncrementalText(tokenizer, _promptIds);
        var completion = new System.Text.StringBuilder();
        var emitted = 0;
        var generated = 0;
        string? finish = null;
        while (finish is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = sampler.Next(state.Logits);
            if (_model.Config.EosIds.Contains(next))
            {
                finish = "stop";
                completion.Append(incremental.Flush());
            }
            else
            {
                generated++;
                completion.Append(incremental.Add(next));
                if (generated >= maxNew)
                {
                    finish = "length";
                    completion.Append(incremental.Flush());
                }
            }

            if (StopAt(completion, stops, emitted) is { } stopIndex)
            {
                completion.Length = stopIndex;
                finish = "stop";
            }

            if (completion.Length > emitted)
            {
                yield return new LlmDelta(completion.ToString(emitted, completion.Length - emitted), _promptIds.Count, generated, null);
                emitted = completion.Length;
            }

            if (finish is null)
                decoder.Forward(state, [next], cancellationToken);
        }

        yield return new LlmDelta("", _promptIds.Count, generated, finish);
    }

    /// <summary>The earliest stop string in the text, searched only where it could overlap text not yet sent.</summary>
    private static int? StopAt(System.Text.StringBuilder completion, IReadOnlyList<string> stops, int emitted)
    {
        int? best = null;
        foreach (var stop in stops)
        {
            if (stop.Length == 0)
                continue;
            var from = Math.Max(0, emitted - stop.Length);
            var index = completion.ToString(from, completion.Length - from).IndexOf(stop, StringComparison.Ordinal);
            index = index < 0 ? -1 : from + index;
            if (index >= 0 && (best is null || index < best))
                best = index;
        }

        return best;
    }
}
