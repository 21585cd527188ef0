using System.Net;
using System.Text.Json;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// Through the stand-in orchestrator's single-shot proxy, as a gateway calls: a stream's first token arrives while
/// generation runs, a client that leaves and a failed payment both stop the work and free the runner's turn and the
/// proxy's slot, oversize bodies are the runner's 413 (the proxy has no limit), and the heartbeats carry the sessions
/// the runner serves beside the orchestrator's own list.
/// </summary>
public sealed class LiveProxyStreamingTests(ProxiedRunner runner) : IClassFixture<ProxiedRunner>
{
    private const string LlmModel = "karpathy/stories260K";

    private readonly ModelManager _models = runner.Host.Services.GetRequiredService<ModelManager>();

    private string LlmRoute(string path) => $"/apps/{runner.Ids[ProxiedRunner.Llm]}/app/{path}";

    private static HttpRequestMessage Gated(string route, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = Requests.Json(body) };
        request.Headers.Add(StreamGate.Header, "1");
        return request;
    }

    /// <summary>Starts a stream held after its first token; the caller owns the response and reader.</summary>
    private async Task<(HttpResponseMessage Response, SseReader Events, StreamGate.Hold Hold, string First)> HeldStreamAsync(CancellationToken cancellationToken = default)
    {
        var hold = runner.Gate.Arm(1);
        using var request = Gated(LlmRoute("llm"), LiveStreamingTests.Chat(stream: true));
        var response = await runner.Gateway.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = new SseReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var first = await events.NextAsync();
        await hold.Reached;
        return (response, events, hold, first!);
    }

    [Fact]
    public async Task Stream_ThroughTheProxy_DeliversItsFirstTokenBeforeGenerationEnds()
    {
        var (response, events, hold, first) = await HeldStreamAsync();
        using (response)
        using (events)
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.Null(response.Content.Headers.ContentLength);
            Assert.Equal(1, _models.Load().Running);
            ContractSchemas.AssertValid("LLMResponse", JsonDocument.Parse(first).RootElement);
            Assert.NotEqual("", JsonDocument.Parse(first).RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());

            hold.Release();
            var rest = await events.RestAsync();
            Assert.Equal("[DONE]", rest[^1]);
            Assert.True(rest.Count >= 3, $"{rest.Count} events after the first token");
        }

        await runner.Orchestrator.NextProxyEndAsync();
    }

    [Fact]
    public async Task ClientLeavingThroughTheProxy_StopsTheGeneration_AndFreesTheTurnAndTheSlot()
    {
        using var steps = new RequestSteps(_models, LlmModel);
        using var leaving = new CancellationTokenSource();
        var (response, events, hold, _) = await HeldStreamAsync(leaving.Token);
        await leaving.CancelAsync();
        response.Dispose();
        events.Dispose();

        await AssertStoppedAndFreedAsync(hold, steps);
    }

    [Fact]
    public async Task FailedPayment_AbortsTheProxiedRequest_AndTheRunnerStopsAndFreesItsTurn()
    {
        using var steps = new RequestSteps(_models, LlmModel);
        var (response, events, hold, _) = await HeldStreamAsync();
        using (response)
        using (events)
        {
            runner.Orchestrator.FailPayments(runner.Ids[ProxiedRunner.Llm]);

            await AssertStoppedAndFreedAsync(hold, steps);
            await Assert.ThrowsAnyAsync<Exception>(events.RestAsync);
        }
    }

    private async Task AssertStoppedAndFreedAsync(StreamGate.Hold hold, RequestSteps steps)
    {
        await hold.Finished;
        await steps.Finished;
        await runner.Orchestrator.NextProxyEndAsync();
        Assert.Equal(0, _models.Load().Running);
        Assert.InRange(hold.Events, 1, 2);
        Assert.Equal(0, runner.Orchestrator.ActiveSessions(runner.Ids[ProxiedRunner.Llm]));

        using var next = await runner.Gateway.PostAsync(LlmRoute("llm"), Requests.Json(LiveStreamingTests.Chat(stream: false)));
        await next.ReadValidJsonAsync(HttpStatusCode.OK, "LLMResponse");
        await runner.Orchestrator.NextProxyEndAsync();
    }

    [Fact]
    public async Task DeviceLimitAcrossRegistrations_IsTheRunners503_WhileTheProxyHadASlot()
    {
        var x2 = $"/apps/{runner.Ids[ProxiedRunner.X2]}/app/upscale";
        var (response, events, hold, _) = await HeldStreamAsync();
        using (response)
        using (events)
        {
            using (var busy = await runner.Gateway.PostAsync(x2, Requests.Form("image", Requests.Fixture, ("prompt", "x"))))
            {
                Assert.StartsWith("insufficient capacity", await busy.ReadErrorAsync(HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
                Assert.Equal("1", busy.Headers.RetryAfter?.ToString());
            }

            await runner.Orchestrator.NextProxyEndAsync();
            hold.Release();
            Assert.Equal("[DONE]", (await events.RestAsync())[^1]);
        }

        await runner.Orchestrator.NextProxyEndAsync();
        await hold.Finished;
        using (var again = await runner.Gateway.PostAsync(x2, Requests.Form("image", Requests.Fixture, ("prompt", "x"))))
            await again.ReadValidJsonAsync(HttpStatusCode.OK, "ImageResponse");
        await runner.Orchestrator.NextProxyEndAsync();
    }

    [Theory]
    [InlineData("GET", "v1/models", "")]
    [InlineData("POST", "llm", "{}")]
    [InlineData("POST", "v1/chat/completions", "{\"messages\":3}")]
    public async Task Replies_AreTheSameDirectAndThroughTheProxy(string method, string path, string body)
    {
        HttpRequestMessage Request(string url) => new(new HttpMethod(method), url) { Content = body.Length == 0 ? null : Requests.Json(body) };
        using var direct = runner.Host.CreateClient();
        using var directRequest = Request($"/live/llm--karpathy--stories260K/{path}");
        using var proxiedRequest = Request(LlmRoute(path));

        using var expected = await direct.SendAsync(directRequest);
        using var actual = await runner.Gateway.SendAsync(proxiedRequest);
        await runner.Orchestrator.NextProxyEndAsync();

        Assert.Equal(expected.StatusCode, actual.StatusCode);
        Assert.Equal(expected.Content.Headers.ContentType, actual.Content.Headers.ContentType);
        Assert.Equal(await expected.Content.ReadAsStringAsync(), await actual.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OversizeBodies_ThroughTheProxy_AreTheRunners413()
    {
        var huge = new byte[LiveRunner.MaxUploadBytes + 1];
        Requests.Fixture.CopyTo(huge, 0);
        using (var upload = await runner.Gateway.PostAsync($"/apps/{runner.Ids[ProxiedRunner.X2]}/app/upscale", Requests.Form("image", huge, ("prompt", "x"))))
            Assert.Equal("File size exceeds limit.", await upload.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge));
        await runner.Orchestrator.NextProxyEndAsync();

        using (var json = await runner.Gateway.PostAsync(LlmRoute("llm"), Requests.Json(LiveStreamingTests.OversizeChat())))
            Assert.Equal($"Request body is larger than {BodyReader.JsonLimit} bytes.", await json.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge));
        await runner.Orchestrator.NextProxyEndAsync();
        Assert.Equal(0, _models.Load().Running);
    }

    [Fact]
    public async Task Heartbeats_CarryTheSessionsBeingServed_AndKeepTheOrchestratorsList()
    {
        var heartbeat = runner.Heartbeat(ProxiedRunner.Llm);
        var (response, events, hold, _) = await HeldStreamAsync();
        string session;
        using (response)
        using (events)
        {
            session = Assert.Single(runner.Orchestrator.ActiveSessionIds(runner.Ids[ProxiedRunner.Llm]));

            await runner.AdvanceToNextBeatsAsync();
            var during = await runner.NextBeatOfAsync(ProxiedRunner.Llm);
            await runner.HandledAsync(ProxiedRunner.Llm);
            Assert.Equal(200, during.Status);
            Assert.Equal([session], during.SessionIds);
            Assert.Equal([session], heartbeat.OrchestratorSessions);

            hold.Release();
            Assert.Equal("[DONE]", (await events.RestAsync())[^1]);
        }

        Assert.Equal(session, await runner.Orchestrator.NextProxyEndAsync());
        await hold.Finished;
        await runner.AdvanceToNextBeatsAsync();
        var after = await runner.NextBeatOfAsync(ProxiedRunner.Llm);
        await runner.HandledAsync(ProxiedRunner.Llm);
        Assert.Empty(after.SessionIds);
        Assert.Empty(heartbeat.OrchestratorSessions);
    }
}
