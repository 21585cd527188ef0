using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

public sealed class ChatTemplateLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("chat-template-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void Write(string file, string text) => File.WriteAllText(Path.Combine(_folder, file), text);

    private static readonly ChatMessage[] Hello = [new("user", "hi")];

    [Fact]
    public void ChatTemplateJinja_WinsOverTokenizerConfig()
    {
        Write("chat_template.jinja", "jinja:{{ messages[0].content }}");
        Write("tokenizer_config.json", """{"chat_template": "config"}""");

        var template = ChatTemplate.FromModelFolder(_folder, TimeProvider.System)!;

        Assert.Equal("jinja:hi", template.Render(Hello, template.Defaults));
    }

    [Fact]
    public void TokenizerConfigTemplateList_TakesTheDefaultOne()
    {
        Write("tokenizer_config.json", """{"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain"}]}""");

        Assert.Equal("plain", ChatTemplate.FromModelFolder(_folder, TimeProvider.System)!.Source);
    }

    [Fact]
    public void SpecialTokens_ReadAsStringsOrAddedTokenObjects()
    {
        Write("tokenizer_config.json", """
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "</s>", "pad_token": "<pad>", "chat_template": "{{ bos_token }}|{{ eos_token }}|{{ pad_token }}"}
            """);

        var template = ChatTemplate.FromModelFolder(_folder, TimeProvider.System)!;

        Assert.Equal("<s>|</s>|<pad>", template.Render(Hello, template.Defaults));
    }

    [Fact]
    public void NoTemplateAnywhere_ReturnsNull()
    {
        Write("tokenizer_config.json", """{"eos_token": "</s>"}""");

        Assert.Null(ChatTemplate.FromModelFolder(_folder, TimeProvider.System));
    }

    [Fact]
    public void MalformedTemplateInFolder_FailsAtLoadWithChatTemplateException()
    {
        Write("chat_template.jinja", "{% if x %}never closed");

        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromModelFolder(_folder, TimeProvider.System));

        Assert.Contains("endif", error.Message, StringComparison.Ordinal);
    }
}
