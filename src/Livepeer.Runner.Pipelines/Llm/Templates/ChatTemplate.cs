namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>One turn of a conversation as chat templates see it: <c>message['role']</c>, <c>message['content']</c>.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>The variables a chat template renders with besides <c>messages</c>.</summary>
public sealed record ChatTemplateContext
{
    /// <summary><c>bos_token</c>; left undefined in the template when null, as transformers does for models without one.</summary>
    public string? BosToken { get; init; }

    /// <summary><c>eos_token</c>; left undefined in the template when null.</summary>
    public string? EosToken { get; init; }

    /// <summary><c>add_generation_prompt</c>: end the prompt with the assistant's turn header.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>Other special tokens by template variable name (<c>pad_token</c>, <c>unk_token</c>, …).</summary>
    public IReadOnlyDictionary<string, string> OtherTokens { get; init; } = new Dictionary<string, string>();

    /// <summary>The clock behind <c>strftime_now</c> (local time, as transformers uses).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// A Hugging Face chat template (the Jinja subset that real templates use), parsed once and rendered per request.
/// Everything that goes wrong, from syntax to the template's own <c>raise_exception</c>, is a
/// <see cref="ChatTemplateException"/>, which the host turns into a 400.
/// </summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<Statement> _body;

    private ChatTemplate(string source, IReadOnlyList<Statement> body, ChatTemplateContext defaults)
    {
        Source = source;
        _body = body;
        Defaults = defaults;
    }

    public string Source { get; }

    /// <summary>
    /// The special tokens found beside the template (empty when parsed from a string). Callers set the rest with
    /// <c>template.Defaults with { AddGenerationPrompt = true }</c>.
    /// </summary>
    public ChatTemplateContext Defaults { get; }

    public static ChatTemplate Parse(string source) => Parse(source, new ChatTemplateContext());

    internal static ChatTemplate Parse(string source, ChatTemplateContext defaults)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return new ChatTemplate(source, TemplateParser.Parse(source), defaults);
        }
        catch (InsufficientExecutionStackException ex)
        {
            throw new ChatTemplateException("Chat template syntax error: the template nests too deeply.", ex);
        }
    }

    /// <summary>
    /// Loads a model folder's chat template: <c>chat_template.jinja</c>, else <c>tokenizer_config.json</c>'s
    /// <c>chat_template</c>; null when the model has none (the caller then joins the contents with newlines).
    /// </summary>
    public static ChatTemplate? FromModelFolder(string folder, TimeProvider clock) => ChatTemplateFiles.Load(folder, clock);

    public string Render(IReadOnlyList<ChatMessage> messages, ChatTemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return TemplateRenderer.Render(_body, TemplateGlobals.Create(context.Clock), Variables(messages, context));
        }
        catch (TemplateRaisedException raised)
        {
            throw new ChatTemplateException(raised.Message, raised);
        }
        catch (InsufficientExecutionStackException ex)
        {
            throw new ChatTemplateException("Chat template error: the template nests too deeply.", ex);
        }
    }

    /// <summary>What transformers' apply_chat_template passes: messages, tools and documents (none here), the flag, the tokens.</summary>
    private static Dictionary<string, object?> Variables(IReadOnlyList<ChatMessage> messages, ChatTemplateContext context)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(message => (object?)new OrderedDictionary<string, object?>
            {
                ["role"] = message.Role,
                ["content"] = message.Content,
            }).ToList(),
            ["tools"] = null,
            ["documents"] = null,
            ["add_generation_prompt"] = context.AddGenerationPrompt,
        };
        foreach (var (name, token) in context.OtherTokens)
            variables[name] = token;
        if (context.BosToken is not null)
            variables["bos_token"] = context.BosToken;
        if (context.EosToken is not null)
            variables["eos_token"] = context.EosToken;
        return variables;
    }
}
