using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Llm.Templates;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

/// <summary>
/// The published chat templates of the model families the runner serves, kept as tokenizer_config.json excerpts
/// (bos/eos and chat_template) under Llm/ChatTemplates, rendered through the model-folder loader.
/// </summary>
public sealed class ChatTemplateModelTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "You are a helpful assistant."),
        new("user", "Hello!"),
        new("assistant", "Hi there."),
        new("user", "How are you?"),
    ];

    private static ChatTemplate Load(string model) =>
        ChatTemplate.FromModelFolder(Path.Combine(TestPaths.RepoRoot, "tests", "Livepeer.Runner.Pipelines.Tests", "Llm", "ChatTemplates", model), TimeProvider.System)
        ?? throw new InvalidOperationException("fixture has no template");

    private static string Render(string model, IReadOnlyList<ChatMessage> messages)
    {
        var template = Load(model);
        return template.Render(messages, template.Defaults with { AddGenerationPrompt = true });
    }

    [Fact]
    public void Llama31_RendersCuttingKnowledgeHeaderAndTurns()
    {
        var prompt = Render("Llama-3.1-8B-Instruct", Conversation);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "You are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Llama31_WithoutSystemMessage_StillWritesTheSystemHeader()
    {
        var prompt = Render("Llama-3.1-8B-Instruct", [new("user", "  Hi  ")]);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Qwen25_RendersChatMlWithTheGivenSystemMessage()
    {
        var prompt = Render("Qwen2.5-7B-Instruct", Conversation);

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nHow are you?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void Qwen25_WithoutSystemMessage_UsesItsDefaultSystemPrompt()
    {
        var prompt = Render("Qwen2.5-7B-Instruct", [new("user", "Hello!")]);

        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void Mistral03_PutsTheSystemMessageInTheLastUserTurn()
    {
        var prompt = Render("Mistral-7B-Instruct-v0.3", Conversation);

        Assert.Equal(
            "<s>[INST] Hello![/INST] Hi there.</s>[INST] You are a helpful assistant.\n\nHow are you?[/INST]",
            prompt);
    }

    [Fact]
    public void Mistral03_TwoUserMessagesInARow_RaisesTheAlternationError()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render("Mistral-7B-Instruct-v0.3", [new("user", "a"), new("user", "b")]));

        Assert.Equal("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...", error.Message);
    }

    [Fact]
    public void Gemma2_RendersModelTurns()
    {
        var prompt = Render("gemma-2-2b-it", Conversation[1..]);

        Assert.Equal(
            "<bos><start_of_turn>user\nHello!<end_of_turn>\n"
            + "<start_of_turn>model\nHi there.<end_of_turn>\n"
            + "<start_of_turn>user\nHow are you?<end_of_turn>\n"
            + "<start_of_turn>model\n",
            prompt);
    }

    [Fact]
    public void Gemma2_SystemMessage_RaisesSystemRoleNotSupported()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render("gemma-2-2b-it", Conversation));

        Assert.Equal("System role not supported", error.Message);
        Assert.IsAssignableFrom<BadInputException>(error);
    }
}
