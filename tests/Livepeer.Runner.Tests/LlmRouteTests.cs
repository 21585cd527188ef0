using System.Net;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>A runner serving the real stories260K model and the tiny GQA fixtures through /llm and the OpenAI routes.</summary>
public sealed class LlmRunner : ConfiguredRunner
{
    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "llm", model_id = "karpathy/stories260K", warm = true, path = TestPaths.Asset("llm", "stories260K") },
        new { pipeline = "llm", model_id = "tiny/llama", warm = false, path = TestPaths.Model("tiny", "llm-llama") },
        new { pipeline = "llm", model_id = "tiny/qwen", warm = false, path = TestPaths.Model("tiny", "llm-qwen") },
    ];
}

public sealed class LlmRouteTests(LlmRunner runner) : IClassFixture<LlmRunner>
{
    private const string Prompt = "Once upon a time";
    private static readonly string Expected = File.ReadAllText(TestPaths.Asset("llm", "stories260K", "expected.txt"));
    private readonly HttpClient _client = runner.Host.CreateClient();

    private static string Body(bool stream, int maxTokens = 196, string model = "") =>
        $$"""{"messages":[{"role":"user","content":"{{Prompt}}"}],"model":"{{model}}","max_tokens":{{maxTokens}},"temperature":0,"stream":{{(stream ? "true" : "false")}}}""";

    private static List<JsonElement> Events(string body, out string tail)
    {
        var events = new List<JsonElement>();
        var rest = body;
        while (rest.StartsWith("data: {", StringComparison.Ordinal))
        {
            var end = rest.IndexOf("\n\n", StringComparison.Ordinal);
            Assert.True(end > 0, "every event ends with a blank line");
            events.Add(JsonDocument.Parse(rest[6..end]).RootElement.Clone());
            rest = rest[(end + 2)..];
        }

        tail = rest;
        return events;
    }

    [Fact]
    public async Task Greedy_ReproducesTheGoldenContinuation()
    {
        using var response = await _client.PostAsync("/llm", Requests.Json(Body(stream: false)));

        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "LLMResponse");
        Assert.StartsWith("chatcmpl-", json.GetProperty("id").GetString());
        Assert.Equal("karpathy/stories260K", json.GetProperty("model").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.False(choice.TryGetProperty("delta", out _), "an unused delta is omitted, not null");
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(Expected, Prompt + choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = json.GetProperty("usage");
        Assert.Equal((5, 196, 201), (usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32()));
    }

    [Fact]
    public async Task Streaming_IsSseWhoseDeltasConcatenateToTheGolden()
    {
        using var response = await _client.PostAsync("/llm/", Requests.Json(Body(stream: true)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var events = Events(await response.Content.ReadAsStringAsync(), out var tail);
        Assert.Equal("data: [DONE]\n\n", tail);
        Assert.All(events, e => ContractSchemas.AssertValid("LLMResponse", e));
        Assert.Single(events.Select(e => e.GetProperty("id").GetString()).Distinct());
        var choices = events.Select(e => e.GetProperty("choices")[0]).ToList();
        Assert.All(choices[..^1], c => Assert.Equal("", c.GetProperty("finish_reason").GetString()));
        Assert.All(choices, c => Assert.False(c.TryGetProperty("message", out _), "an unused message is omitted, not null"));
        Assert.Equal("length", choices[^1].GetProperty("finish_reason").GetString());
        Assert.Equal("", choices[^1].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(Expected, Prompt + string.Concat(choices.Select(c => c.GetProperty("delta").GetProperty("content").GetString())));
        Assert.Equal(196, events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task ConcurrentRequests_GiveTheSameGreedyTextAsSerialOnes()
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await _client.PostAsync("/llm", Requests.Json(Body(stream: false, maxTokens: 60)));
            return (await response.ReadValidJsonAsync(HttpStatusCode.OK, "LLMResponse")).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        }));

        Assert.All(replies, text => Assert.StartsWith(text!, Expected[Prompt.Length..]));
        Assert.Single(replies.Distinct());
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"tool","content":"x"}]}""")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"temperature":3}""")]
    public async Task InvalidGenerationRequest_IsTheContracts500(string body)
    {
        using var response = await _client.PostAsync("/llm", Requests.Json(body));
        Assert.Equal("Internal server error during LLM processing.", await response.ReadErrorAsync(HttpStatusCode.InternalServerError));
    }

    [Fact]
    public async Task PromptOverTheContext_IsTheContracts500()
    {
        var longPrompt = string.Concat(Enumerable.Repeat("Once upon a time ", 200));
        using var response = await _client.PostAsync("/llm", Requests.Json($$"""{"messages":[{"role":"user","content":"{{longPrompt}}"}]}"""));
        Assert.Equal("Internal server error during LLM processing.", await response.ReadErrorAsync(HttpStatusCode.InternalServerError));
    }

    [Fact]
    public async Task GqaFixture_ServesThroughTheSameRoute()
    {
        using var response = await _client.PostAsync("/llm", Requests.Json(Body(stream: false, maxTokens: 4, model: "tiny/llama")));
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "LLMResponse");
        Assert.Equal(4, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task OpenAiChatCompletion_HasTheOpenAiShape()
    {
        using var response = await _client.PostAsync("/v1/chat/completions", Requests.Json(
            """{"model":"karpathy/stories260K","messages":[{"role":"user","content":[{"type":"text","text":"Once upon a time"}]}],"max_tokens":196,"temperature":0}"""));

        var json = await response.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal(Expected, Prompt + choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(201, json.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task OpenAiStream_EndsWithFinishReasonUsageAndDone()
    {
        using var response = await _client.PostAsync("/v1/chat/completions", Requests.Json(
            """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":12,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}"""));

        var events = Events(await response.Content.ReadAsStringAsync(), out var tail);
        Assert.Equal("data: [DONE]\n\n", tail);
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e.GetProperty("object").GetString()));
        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("length", events[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(12, events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var text = string.Concat(events.SelectMany(e => e.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : ""));
        Assert.StartsWith(text, Expected[Prompt.Length..]);
    }

    [Fact]
    public async Task OpenAiErrors_UseTheOpenAiShape()
    {
        using var unknown = await _client.PostAsync("/v1/chat/completions", Requests.Json("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"""));
        var error = (await unknown.ReadJsonAsync(HttpStatusCode.NotFound)).GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());

        using var malformed = await _client.PostAsync("/v1/chat/completions", Requests.Json("""{"messages":"hi"}"""));
        Assert.Equal("invalid_request_error", (await malformed.ReadJsonAsync(HttpStatusCode.BadRequest)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Models_ListsTheLlmModels()
    {
        var json = JsonDocument.Parse(await _client.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", json.GetProperty("object").GetString());
        Assert.Equal(["karpathy/stories260K", "tiny/llama", "tiny/qwen"], json.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task UnknownModelOnLlm_Is400WithoutPeriod()
    {
        using var response = await _client.PostAsync("/llm", Requests.Json(Body(stream: true, model: "meta-llama/Meta-Llama-3.1-8B-Instruct")));
        Assert.Equal("pipeline configured with karpathy/stories260K, tiny/llama, tiny/qwen but called with meta-llama/Meta-Llama-3.1-8B-Instruct",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }
}
