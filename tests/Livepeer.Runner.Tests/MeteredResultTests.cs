using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Livepeer.Runner.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Livepeer.Runner.Tests;

/// <summary>A request is measured when its reply has been written, so a stream counts to its last event.</summary>
public sealed class MeteredResultTests
{
    /// <summary>A reply whose body takes as long as the test wants.</summary>
    private sealed class HeldReply(TaskCompletionSource release) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            await release.Task;
        }
    }

    [Fact]
    public async Task Reply_IsRecorded_OnlyWhenItsBodyIsDone()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorded = new List<int>();
        var execution = new MeteredResult(new HeldReply(release), recorded.Add).ExecuteAsync(new DefaultHttpContext());

        Assert.Empty(recorded);
        release.SetResult();
        await execution;

        Assert.Equal([200], recorded);
    }

    [Fact]
    public async Task ClientLeavingMidReply_IsRecordedAs499()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var aborted = new CancellationTokenSource();
        var recorded = new List<int>();
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };
        var execution = new MeteredResult(new HeldReply(release), recorded.Add).ExecuteAsync(context);

        await aborted.CancelAsync();
        release.SetCanceled(aborted.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => execution);

        Assert.Equal([MeteredResult.ClientClosedRequest], recorded);
    }
}

/// <summary>Through HTTP: a streamed /llm reply is one request sample with its status, taken after the stream ended.</summary>
public sealed class StreamedReplyMetricsTests(LlmRunner runner) : IClassFixture<LlmRunner>
{
    [Fact]
    public async Task StreamedReply_IsCountedOnce_WithItsStatus()
    {
        using var client = runner.Host.CreateClient();
        using (var response = await client.PostAsync("/llm", Requests.Json(
            """{"messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":8,"temperature":0,"stream":true}""")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.EndsWith("data: [DONE]\n\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var metrics = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Sample(metrics, @"livepeer_runner_requests_total\{pipeline=""llm"",model_id=""karpathy/stories260K"",status=""200""\}"));
        Assert.Equal(1, Sample(metrics, @"livepeer_runner_request_duration_seconds_count\{pipeline=""llm"",model_id=""karpathy/stories260K""\}"));
    }

    private static double Sample(string metrics, string series) =>
        double.Parse(Regex.Match(metrics, "^" + series + @" (\S+)$", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
}
