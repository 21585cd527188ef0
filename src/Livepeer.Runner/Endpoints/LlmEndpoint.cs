using System.Text.Json;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Endpoints;

public sealed record LlmMessage(string Role, string Content);

/// <summary>JSON <c>LLMRequest</c> (RUNNER-CONTRACT §2.7).</summary>
public sealed record LlmRequest(
    IReadOnlyList<LlmMessage> Messages,
    string Model = "",
    double Temperature = 0.7,
    long MaxTokens = 256,
    double TopP = 1.0,
    long TopK = -1,
    bool Stream = false)
{
    internal static LlmRequest Bind(JsonFields json)
    {
        var request = new LlmRequest(
            BindMessages(json),
            json.OptionalString("model", ""),
            json.Float("temperature", 0.7),
            json.Int("max_tokens", 256),
            json.Float("top_p", 1.0),
            json.Int("top_k", -1),
            json.Bool("stream", false));
        json.ThrowIfInvalid();
        return request;
    }

    private static List<LlmMessage> BindMessages(JsonFields json)
    {
        var messages = new List<LlmMessage>();
        if (!json.TryGet("messages", out var list))
        {
            json.Report(Pydantic.Missing("messages", json.Root));
            return messages;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            json.Report(new ValidationError("list_type", ["body", "messages"], "Input should be a valid list", list));
            return messages;
        }

        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                json.Report(new ValidationError("model_attributes_type", ["body", "messages", index],
                    "Input should be a valid dictionary or object to extract fields from", item));
            }
            else
            {
                var role = Text(json, item, index, "role");
                var content = Text(json, item, index, "content");
                if (role is not null && content is not null)
                    messages.Add(new LlmMessage(role, content));
            }

            index++;
        }

        return messages;
    }

    private static string? Text(JsonFields json, JsonElement message, int index, string name)
    {
        if (!message.TryGetProperty(name, out var value))
            json.Report(new ValidationError("missing", ["body", "messages", index, name], "Field required", message));
        else if (value.ValueKind != JsonValueKind.String)
            json.Report(new ValidationError("string_type", ["body", "messages", index, name], "Input should be a valid string", value));
        else
            return value.GetString();
        return null;
    }
}

internal static partial class LlmEndpoint
{
    public static PipelineEndpoint<LlmRequest> Create(IServiceProvider services)
    {
        var llm = services.GetRequiredService<LlmPipeline>();
        var clock = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Livepeer.Runner.Llm");
        return new(PipelineContract.Llm, ParseAsync, request => request.Model)
        {
            RunAsync = (call, request, model) => RunAsync(llm, clock, logger, call, request, model),
            Describe = route => route.DocumentsBody<LlmRequest>("application/json")
                .Produces<LlmResponse>()
                .Produces(StatusCodes.Status200OK, contentType: "text/event-stream"),
        };
    }

    private static async Task<LlmRequest> ParseAsync(PipelineCall call)
    {
        var request = LlmRequest.Bind(await call.ReadJsonAsync());
        call.Authorize();
        return request;
    }

    private static async Task<IResult> RunAsync(LlmPipeline llm, TimeProvider clock, ILogger logger, PipelineCall call, LlmRequest request, ModelEntry model)
    {
        var options = new LlmRequestOptions(
            request.Messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList(),
            request.Temperature, request.TopP, (int)Math.Clamp(request.TopK, -1, int.MaxValue), (int)Math.Clamp(request.MaxTokens, 0, int.MaxValue));
        var session = await llm.StartAsync(call.Lease(model), options, call.Aborted);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("D");

        if (!request.Stream)
        {
            using (session)
            {
                var completion = await session.CompleteAsync(call.Aborted);
                var choice = new LlmChoice(0, completion.FinishReason, null, new LlmMessageBody("assistant", completion.Text));
                return Results.Json(new LlmResponse(id, model.ModelId, clock.GetUtcNow().ToUnixTimeSeconds(), LlmUsage.Of(completion.PromptTokens, completion.CompletionTokens), [choice]),
                    RunnerJson.Wire.LlmResponse);
            }
        }

        return new ServerSentEvents(async (events, cancellationToken) =>
        {
            LlmResponse Chunk(LlmDelta delta, string finish, string content) => new(
                id, model.ModelId, clock.GetUtcNow().ToUnixTimeSeconds(), LlmUsage.Of(delta.PromptTokens, delta.CompletionTokens),
                [new LlmChoice(0, finish, new LlmMessageBody("assistant", content), null)]);

            LlmDelta last = new("", session.Generation.PromptTokens, 0, null);
            try
            {
                await foreach (var delta in session.Generation.RunAsync(cancellationToken))
                {
                    last = delta;
                    await events.JsonAsync(Chunk(delta, delta.FinishReason ?? "", delta.Text), RunnerJson.Wire.LlmResponse, cancellationToken);
                }

                await events.RawAsync("[DONE]", cancellationToken);
            }
            catch (Exception error) when (!cancellationToken.IsCancellationRequested)
            {
                // Headers are gone: end with a chunk go-livepeer can read (it indexes choices[0]), not a bare error object.
                LogStreamFailed(logger, error, model.ModelId);
                await events.JsonAsync(Chunk(last, "error", ""), RunnerJson.Wire.LlmResponse, CancellationToken.None);
            }
        }, session);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "llm stream failed model_id={ModelId}")]
    private static partial void LogStreamFailed(ILogger logger, Exception error, string modelId);
}
