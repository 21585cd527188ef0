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

        var all = new List<int>(_promptIds);
        var prefix = tokenizer.Decode(_promptIds);
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
                break;
            }

            all.Add(next);
            generated++;
            var text = Completion(tokenizer.Decode(all), prefix, all);
            if (StopAt(text, stops, emitted) is { } stopIndex)
            {
                text = text[..stopIndex];
                finish = "stop";
            }
            else if (generated >= maxNew)
            {
                finish = "length";
            }

            // Hold back a trailing partial UTF-8 character until the next token completes it.
            var ready = finish is null && text.EndsWith('\uFFFD') ? text.LastIndexOf('\uFFFD') : text.Length;
            if (ready > emitted)
            {
                yield return new LlmDelta(text[emitted..ready], _promptIds.Count, generated, null);
                emitted = ready;
            }

            if (finish is null)
                decoder.Forward(state, [next], cancellationToken);
        }

        yield return new LlmDelta("", _promptIds.Count, generated, finish);
    }

    /// <summary>The generated part: the full decode less the prompt's, so tokenizers that drop a leading space after BOS decode the same text.</summary>
    private string Completion(string full, string prefix, List<int> all) =>
        full.StartsWith(prefix, StringComparison.Ordinal) ? full[prefix.Length..] : _model.Tokenizer.Decode(all.Skip(_promptIds.Count));

    private static int? StopAt(string text, IReadOnlyList<string> stops, int emitted)
    {
        int? best = null;
        foreach (var stop in stops)
        {
            if (stop.Length == 0)
                continue;
            var index = text.IndexOf(stop, Math.Max(0, emitted - stop.Length), StringComparison.Ordinal);
            if (index >= 0 && (best is null || index < best))
                best = index;
        }

        return best;
    }
}
