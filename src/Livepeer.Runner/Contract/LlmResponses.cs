using System.Text.Json.Serialization;

namespace Livepeer.Runner.Contract;

#pragma warning disable CA1720 // "object" is the OpenAI field name.


// /llm's LLMResponse (RUNNER-CONTRACT §2.7). "delta"/"message" are omitted where unused: the schema's LLMChoice has
// them as LLMMessage objects, so null fails a strict validator, and go-livepeer reads an absent one as nil.

public sealed record LlmUsage(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    public static LlmUsage Of(int prompt, int completion) => new(prompt, completion, prompt + completion);
}

public sealed record LlmMessageBody(string Role, string Content);

public sealed record LlmChoice(
    int Index,
    string FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LlmMessageBody? Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LlmMessageBody? Message);

public sealed record LlmResponse(string Id, string Model, long Created, LlmUsage Usage, IReadOnlyList<LlmChoice> Choices);

// The OpenAI chat-completions shape, for ordinary OpenAI clients (/v1/chat/completions, /v1/models).

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatCompletionChoice> Choices, LlmUsage Usage);

public sealed record ChatCompletionChoice(int Index, LlmMessageBody Message, string FinishReason);

public sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatCompletionChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LlmUsage? Usage);

public sealed record ChatCompletionChunkChoice(int Index, ChatDelta Delta, string? FinishReason);

public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

public sealed record OpenAiError(OpenAiErrorBody Error);

public sealed record OpenAiErrorBody(string Message, string Type, string? Param, string? Code);
