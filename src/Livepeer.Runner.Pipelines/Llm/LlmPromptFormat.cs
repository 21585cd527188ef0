using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>
/// Turns a conversation into the prompt text with the model's own chat template (<c>chat_template.jinja</c> or
/// <c>tokenizer_config.json</c>), rendered with <c>add_generation_prompt</c> so the model answers as the assistant.
/// A model without a template gets the message contents joined by newlines, with BOS if its tokenizer adds one.
/// A template the engine cannot parse does not stop the model loading: each request then gets its clear error.
/// </summary>
public sealed class LlmPromptFormat
{
    private readonly LlmTokenizer _tokenizer;
    private readonly ChatTemplate? _template;
    private readonly ChatTemplateException? _templateError;

    private LlmPromptFormat(LlmTokenizer tokenizer, ChatTemplate? template, ChatTemplateException? templateError)
    {
        _tokenizer = tokenizer;
        _template = template;
        _templateError = templateError;
    }

    public static LlmPromptFormat FromModelFolder(string folder, LlmTokenizer tokenizer, TimeProvider clock)
    {
        try
        {
            return new LlmPromptFormat(tokenizer, ChatTemplate.FromModelFolder(folder, clock), null);
        }
        catch (ChatTemplateException error)
        {
            return new LlmPromptFormat(tokenizer, null, error);
        }
    }

    /// <summary>Whether the tokenizer must prefix BOS: templates write their own.</summary>
    public bool AddsBos => _template is null && _templateError is null && _tokenizer.AddsBos;

    public string Render(IReadOnlyList<ChatMessage> messages)
    {
        if (_templateError is not null)
            throw _templateError;
        return _template is null
            ? string.Join("\n", messages.Select(m => m.Content))
            : _template.Render(messages, _template.Defaults with { AddGenerationPrompt = true });
    }
}
