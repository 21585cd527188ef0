using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Testing;

using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

/// <summary>The decoder engine on the real stories260K weights (MANIFEST G-LLM, G-TOK512) and the tiny GQA fixtures.</summary>
public sealed class LlmEngineTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private static readonly string Stories = TestPaths.Asset("llm", "stories260K");

    private static LlmRequestOptions Greedy(string prompt, int maxTokens) =>
        new([new ChatMessage("user", prompt)], Temperature: 0, TopP: 1, TopK: -1, MaxTokens: maxTokens);

    private static async Task<(string Text, LlmDelta Last)> RunAsync(LlmGeneration generation)
    {
        var text = "";
        LlmDelta last = default;
        await foreach (var delta in generation.RunAsync(CancellationToken.None))
        {
            text += delta.Text;
            last = delta;
        }

        return (text, last);
    }

    [Theory]
    [InlineData("Once upon a time", new[] { 1, 403, 407, 261, 378 })]
    [InlineData("Hello world", new[] { 1, 346, 306, 414, 263, 304, 341 })]
    [InlineData("emoji 🙂 ok", new[] { 1, 344, 423, 414, 449, 417, 410, 243, 162, 156, 133, 334, 433 })]
    public void StoriesTokenizer_MatchesTheGolden(string text, int[] expected)
    {
        var tokenizer = LlmTokenizer.FromModelFolder("stories", Stories);
        Assert.Equal(expected, tokenizer.Encode(text, tokenizer.AddsBos));
    }

    /// <summary>The stories model as onnx-community ships such models: tokenizer.json only, no tokenizer.model.</summary>
    private static string StoriesWithoutSentencePieceModel()
    {
        var folder = Directory.CreateTempSubdirectory("stories-json-").FullName;
        foreach (var file in Directory.GetFiles(Stories).Where(f => Path.GetFileName(f) != "tokenizer.model"))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    [Theory]
    [InlineData("Once upon a time", new[] { 1, 403, 407, 261, 378 })]
    [InlineData("Hello world", new[] { 1, 346, 306, 414, 263, 304, 341 })]
    [InlineData("emoji 🙂 ok", new[] { 1, 344, 423, 414, 449, 417, 410, 243, 162, 156, 133, 334, 433 })]
    public void SentencePieceTokenizerJson_MatchesTheGoldenToo(string text, int[] expected)
    {
        var tokenizer = LlmTokenizer.FromModelFolder("stories", StoriesWithoutSentencePieceModel());
        Assert.Equal(expected, tokenizer.Encode(text, tokenizer.AddsBos));
    }

    [Fact]
    public async Task SentencePieceTokenizerJson_RoundTripsTheGoldenText()
    {
        var folder = StoriesWithoutSentencePieceModel();
        var tokenizer = LlmTokenizer.FromModelFolder("stories", folder);
        var expected = await File.ReadAllTextAsync(Path.Combine(Stories, "expected.txt"));
        var ids = (await File.ReadAllTextAsync(Path.Combine(Stories, "expected_ids.txt"))).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

        Assert.Equal([1, .. ids], tokenizer.Encode(expected, addBos: true));
        Assert.Equal(expected, tokenizer.Decode(ids));

        using var model = LlmModel.Load("stories", folder, Sessions);
        var (text, _) = await RunAsync(new LlmGeneration(model, Greedy("Once upon a time", 196)));
        Assert.Equal(expected, "Once upon a time" + text);
    }

    [Fact]
    public void ByteLevelBpeTokenizer_UsesGpt2IdsAndEncodesSpecialTokenText()
    {
        var tokenizer = LlmTokenizer.FromModelFolder("llama", TestPaths.Model("tiny", "llm-llama"));

        Assert.True(tokenizer.AddsBos);
        Assert.Equal([50256, 15496, 995], tokenizer.Encode("Hello world", tokenizer.AddsBos));
        Assert.Equal([50256, 15496], tokenizer.Encode("<|begin_of_text|>Hello", addBos: false));
        Assert.Equal(" Hello world", tokenizer.Decode(tokenizer.Encode(" Hello world", addBos: false)));
    }

    [Fact]
    public async Task Stories260K_GreedyFromAPrompt_ReproducesLlama2cExactly()
    {
        using var model = LlmModel.Load("stories", Stories, Sessions);
        var expected = await File.ReadAllTextAsync(Path.Combine(Stories, "expected.txt"));

        var (text, last) = await RunAsync(new LlmGeneration(model, Greedy("Once upon a time", 196)));

        Assert.Equal(expected, "Once upon a time" + text);
        Assert.Equal((5, 196, "length"), (last.PromptTokens, last.CompletionTokens, last.FinishReason));
    }

    [Fact]
    public async Task TinyGqaModels_GenerateUntilTheLimit()
    {
        foreach (var fixture in new[] { "llm-llama", "llm-qwen" })
        {
            using var model = LlmModel.Load(fixture, TestPaths.Model("tiny", fixture), Sessions);
            if (fixture == "llm-llama")
                Assert.Equal(2, model.Decoder.KvHeads); // GQA: 4 attention heads share 2 KV heads

            var (_, last) = await RunAsync(new LlmGeneration(model, Greedy("Hello", 6)));

            Assert.Equal(6, last.CompletionTokens);
            Assert.Equal("length", last.FinishReason);
        }
    }

    [Fact]
    public void ChatTemplateInChatTemplateJinja_FramesTheConversationWithOneBos()
    {
        using var model = LlmModel.Load("llama", TestPaths.Model("tiny", "llm-llama"), Sessions);
        ChatMessage[] messages = [new("system", "Be brief."), new("user", "Hello")];

        var prompt = model.Prompt.Render(messages);

        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
        var ids = model.Tokenizer.Encode(prompt, model.Prompt.AddsBos);
        Assert.Equal(1, ids.Count(id => id == 50256));
        Assert.Equal(50256, ids[0]);
    }

    [Fact]
    public void ChatTemplateInTokenizerConfig_IsUsed()
    {
        using var model = LlmModel.Load("qwen", TestPaths.Model("tiny", "llm-qwen"), Sessions);

        var prompt = model.Prompt.Render([new ChatMessage("user", "Hello")]);

        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", prompt);
        Assert.Equal(1257, model.Tokenizer.Encode(prompt, model.Prompt.AddsBos)[0]);
    }

    [Fact]
    public void UnsupportedChatTemplate_LoadsTheModelButRefusesEachRequestClearly()
    {
        var folder = Directory.CreateTempSubdirectory("template-").FullName;
        foreach (var file in Directory.GetFiles(TestPaths.Model("tiny", "llm-llama")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(folder, "chat_template.jinja"), "{% macro greet(name) %}hi {{ name }}{% endmacro %}{{ greet('x') }}");
        using var model = LlmModel.Load("llama", folder, Sessions);

        var error = Assert.Throws<ChatTemplateException>(() => new LlmGeneration(model, Greedy("Hello", 4)));
        Assert.Contains("macro", error.Message);
    }

    [Fact]
    public async Task Float16Cache_GeneratesWhatTheFloat32ModelGenerates()
    {
        // The same weights, with float16 at the graph boundary: greedy ids may differ only where float16 rounding of
        // the logits ties two tokens, which the tiny model's random logits do not.
        using var half = LlmModel.Load("fp16", TestPaths.Model("tiny", "llm-llama-fp16"), Sessions);
        using var full = LlmModel.Load("fp32", TestPaths.Model("tiny", "llm-llama"), Sessions);

        var fromHalf = await RunAsync(new LlmGeneration(half, Greedy("Hello", 8)));
        var fromFull = await RunAsync(new LlmGeneration(full, Greedy("Hello", 8)));

        Assert.True(half.Decoder.HalfCache);
        Assert.Equal(fromFull.Text, fromHalf.Text);
    }

    [Fact]
    public async Task SameSeed_SameSampledText_AndTopK1IsGreedy()
    {
        using var model = LlmModel.Load("stories", Stories, Sessions);
        LlmRequestOptions Sampled(long seed, int topK) => new([new ChatMessage("user", "Once upon a time")], 1.0, 0.9, topK, 40, seed);

        var first = await RunAsync(new LlmGeneration(model, Sampled(7, -1)));
        var again = await RunAsync(new LlmGeneration(model, Sampled(7, -1)));
        var topOne = await RunAsync(new LlmGeneration(model, Sampled(7, 1)));
        var greedy = await RunAsync(new LlmGeneration(model, Greedy("Once upon a time", 40)));

        Assert.Equal(first.Text, again.Text);
        Assert.Equal(greedy.Text, topOne.Text);
    }

    [Fact]
    public async Task StopString_EndsTheTextBeforeIt()
    {
        using var model = LlmModel.Load("stories", Stories, Sessions);
        var options = Greedy("Once upon a time", 100) with { Stop = ["Lily"] };

        var (text, last) = await RunAsync(new LlmGeneration(model, options));

        Assert.Equal(", there was a little girl named ", text);
        Assert.Equal("stop", last.FinishReason);
    }

    [Fact]
    public async Task Cancellation_StopsTheGenerationBetweenTokens()
    {
        using var model = LlmModel.Load("stories", Stories, Sessions);
        using var disconnect = new CancellationTokenSource();
        var received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in new LlmGeneration(model, Greedy("Once upon a time", 150)).RunAsync(disconnect.Token))
            {
                if (++received == 3)
                    await disconnect.CancelAsync();
            }
        });
        Assert.Equal(3, received);
    }

    [Fact]
    public void PromptLongerThanTheContext_IsRefused()
    {
        using var model = LlmModel.Load("stories", Stories, Sessions);
        var error = Assert.Throws<BadInputException>(() => new LlmGeneration(model, Greedy(string.Concat(Enumerable.Repeat("Once upon a time ", 200)), 10)));
        Assert.StartsWith("Input sequence length (", error.Message);
        Assert.EndsWith("exceeds maximum allowed (511).", error.Message);
    }

    [Theory]
    [InlineData("tool", 0.7, 1.0, 10)]
    [InlineData("user", 2.5, 1.0, 10)]
    [InlineData("user", 0.7, 1.5, 10)]
    [InlineData("user", 0.7, 1.0, 0)]
    public void BadOptions_AreRefused(string role, double temperature, double topP, int maxTokens) =>
        Assert.Throws<BadInputException>(() => new LlmRequestOptions([new ChatMessage(role, "x")], temperature, topP, -1, maxTokens).Validate());
}
