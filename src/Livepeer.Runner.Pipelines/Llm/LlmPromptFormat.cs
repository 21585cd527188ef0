namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>One chat message as the prompt format sees it.</summary>
public sealed record LlmChatMessage(string Role, string Content);

/// <summary>
/// Turns a conversation into the prompt text. A model without a chat template gets the message contents joined
/// by newlines (and BOS if its tokenizer adds one), as the issue specifies for base models.
/// </summary>
public sealed class LlmPromptFormat
{
    private readonly LlmTokenizer _tokenizer;

    private LlmPromptFormat(LlmTokenizer tokenizer) => _tokenizer = tokenizer;

    public static LlmPromptFormat FromModelFolder(string folder, LlmTokenizer tokenizer) => new(tokenizer);

    /// <summary>Whether the rendered text must be prefixed with BOS by the tokenizer (templates write their own).</summary>
    public bool AddsBos => _tokenizer.AddsBos;

    public string Render(IReadOnlyList<LlmChatMessage> messages) => string.Join("\n", messages.Select(m => m.Content));
}
