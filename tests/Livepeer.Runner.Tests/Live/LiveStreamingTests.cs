using System.Net;
using System.Text.Json;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Http;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// Streaming, cancellation and body limits on the Live Runner routes, called directly (LIVE-RUNNER §7 items 10–12).
/// The <see cref="StreamGate"/> holds a reply after its first events, so "before generation ends" is a fact of the
/// test, not a matter of timing.
/// </summary>
public sealed class LiveStreamingTests(LiveRunner runner) : IClassFixture<LiveRunner>
{
    private const string LlmModel = "karpathy/stories260K";

    private readonly HttpClient _client = runner.Host.CreateClient();
    private readonly ModelManager _models = runner.Host.Services.GetRequiredService<ModelManager>();

    internal static string Chat(bool stream, int maxTokens = 48) =>
        $$"""{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":{{maxTokens}},"temperature":0,"stream":{{(stream ? "true" : "false")}}}""";

    private static HttpRequestMessage Gated(string route, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = Requests.Json(body) };
        request.Headers.Add(StreamGate.Header, "1");
        return request;
    }

    [Theory]
    [InlineData("/llm", 1)]
    [InlineData("/v1/chat/completions", 2)] // OpenAI's first chunk carries the role; the second the first token
    public async Task Stream_FlushesItsFirstTokenBeforeGenerationEnds(string route, int firstTokenEvent)
    {
        var hold = runner.Gate.Arm(firstTokenEvent);
        using var request = Gated(LiveRunner.Llm + route, Chat(stream: true));
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentLength);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync());
        string? first = null;
        for (var i = 0; i < firstTokenEvent; i++)
            first = await events.NextAsync();

        // The runner is waiting to write its next event: the generation is running and still holds the model's turn.
        await hold.Reached;
        Assert.Equal(1, _models.Load().Running);
        Assert.Equal(firstTokenEvent, hold.Events);
        var chunk = JsonDocument.Parse(first!).RootElement;
        var choice = chunk.GetProperty("choices")[0];
        Assert.NotEqual("", choice.GetProperty("delta").GetProperty("content").GetString());

        hold.Release();
        var rest = await events.RestAsync();
        Assert.Equal("[DONE]", rest[^1]);
        Assert.True(rest.Count >= 3, $"{rest.Count} events after the first token");
        if (route == "/llm")
            ContractSchemas.AssertValid("LLMResponse", chunk);
        Assert.Null(await hold.Finished);
    }

    [Fact]
    public async Task ClientLeavingMidStream_StopsTheGeneration_AndFreesTheTurn()
    {
        var whole = await WholeStreamEventsAsync();
        using var steps = new RequestSteps(_models, LlmModel);
        var hold = runner.Gate.Arm(1);
        using var leaving = new CancellationTokenSource();
        using (var request = Gated(LiveRunner.Llm + "/llm", Chat(stream: true)))
        using (var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leaving.Token))
        {
            var events = new SseReader(await response.Content.ReadAsStreamAsync(leaving.Token));
            Assert.NotNull(await events.NextAsync());
            await hold.Reached;
            await leaving.CancelAsync();
        }

        // The held write passes on once the client is gone: only the runner's own cancellation stops the tokens.
        await hold.Finished;
        await steps.Finished;
        Assert.Equal(0, _models.Load().Running);
        Assert.InRange(hold.Events, 1, 2);
        Assert.True(whole > 4, $"the whole stream has {whole} events");

        // The one turn is free: the next request is admitted, not answered busy.
        using var next = await _client.PostAsync(LiveRunner.Llm + "/llm", Requests.Json(Chat(stream: false)));
        await next.ReadValidJsonAsync(HttpStatusCode.OK, "LLMResponse");
    }

    private async Task<int> WholeStreamEventsAsync()
    {
        using var response = await _client.PostAsync(LiveRunner.Llm + "/llm", Requests.Json(Chat(stream: true)));
        using var events = new SseReader(await response.Content.ReadAsStreamAsync());
        return (await events.RestAsync()).Count;
    }

    [Fact]
    public async Task UploadOverTheLimit_IsA413JsonError()
    {
        var huge = new byte[LiveRunner.MaxUploadBytes + 1];
        Requests.Fixture.CopyTo(huge, 0);

        using var response = await _client.PostAsync(LiveRunner.X2 + "/upscale", Requests.Form("image", huge, ("prompt", "x")));

        Assert.Equal("File size exceeds limit.", await response.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge));
    }

    [Fact]
    public async Task JsonBodyOverTheLimit_IsA413_InEachRoutesEnvelope()
    {
        var body = OversizeChat();

        using (var llm = await _client.PostAsync(LiveRunner.Llm + "/llm", Requests.Json(body)))
            Assert.Equal($"Request body is larger than {BodyReader.JsonLimit} bytes.", await llm.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge));

        using var openAi = await _client.PostAsync(LiveRunner.Llm + "/v1/chat/completions", Requests.Json(body));
        var error = (await openAi.ReadJsonAsync(HttpStatusCode.RequestEntityTooLarge)).GetProperty("error");
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        Assert.Contains(BodyReader.JsonLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    internal static string OversizeChat() =>
        $$"""{"messages":[{"role":"user","content":"{{new string('a', BodyReader.JsonLimit)}}"}],"max_tokens":1}""";
}
