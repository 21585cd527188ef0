using System.Text.Json;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Http;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Endpoints;

/// <summary>
/// The LLM engine in the OpenAI API shape, so ordinary OpenAI clients work against the runner:
/// <c>POST /v1/chat/completions</c> (streaming or not) and <c>GET /v1/models</c>. Errors use OpenAI's
/// <c>{"error":{…}}</c> body. Same models, auth and engine as /llm.
/// </summary>
internal static class OpenAiEndpoints
{
    public static void MapOpenAi(this IEndpointRouteBuilder app, RouteServices services)
    {
        app.MapGet("/v1/models", (Delegate)((HttpContext context) => ListModels(context, services))).WithTags("openai").Produces<ModelList>()
            .WithMetadata(new PipelineRouteMetadata(PipelineNames.Llm));
        ChatCompletions(app.ServiceProvider).Map(app, FrontEnd.OpenAi, services);
    }

    private static IResult ListModels(HttpContext context, RouteServices services)
    {
        if (!services.Auth.IsAuthorized(context.Request))
            return OpenAiErrors.For(context, new UnauthorizedException(PipelineContract.Llm.UnauthorizedMessage), PipelineContract.Llm);
        var models = services.Catalog.ForPipeline(PipelineNames.Llm).Select(m => new ModelCard(m.ModelId, "model", 0, "livepeer-runner")).ToList();
        return Results.Json(new ModelList("list", models), RunnerJson.Wire.ModelList);
    }

    /// <summary>POST /v1/chat/completions: auth first (OpenAI's order), then the body, then the same LLM engine as /llm.</summary>
    internal static PipelineEndpoint<OpenAiChatRequest> ChatCompletions(IServiceProvider services)
    {
        var llm = services.GetRequiredService<LlmPipeline>();
        var clock = services.GetRequiredService<TimeProvider>();
        return new(PipelineContract.Llm, ParseAsync, request => request.Model)
        {
            Route = "/v1/chat/completions",
            Name = "openai",
            RunAsync = async (call, request, model) =>
            {
                var session = await llm.StartAsync(call.Lease(model), request.Options, call.Aborted);
                var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
                return request.Stream
                    ? Stream(session, id, model.ModelId, clock, request.IncludeUsage)
                    : await CompleteAsync(session, id, model.ModelId, clock, call.Aborted);
            },
            Describe = route => route.Produces<ChatCompletion>().Produces(StatusCodes.Status200OK, contentType: "text/event-stream"),
        };
    }

    private static async Task<OpenAiChatRequest> ParseAsync(PipelineCall call)
    {
        call.Authorize();
        var body = await BodyReader.ReadBoundedAsync(call.Context.Request, BodyReader.JsonLimit, call.Aborted);
        return OpenAiChatRequest.Parse(body);
    }

    private static async Task<IResult> CompleteAsync(LlmSession session, string id, string model, TimeProvider clock, CancellationToken cancellationToken)
    {
        using (session)
        {
            var completion = await session.CompleteAsync(cancellationToken);
            return Results.Json(new ChatCompletion(id, "chat.completion", clock.GetUtcNow().ToUnixTimeSeconds(), model,
                [new ChatCompletionChoice(0, new LlmMessageBody("assistant", completion.Text), completion.FinishReason)],
                LlmUsage.Of(completion.PromptTokens, completion.CompletionTokens)), RunnerJson.Wire.ChatCompletion);
        }
    }

    private static ServerSentEvents Stream(LlmSession session, string id, string model, TimeProvider clock, bool includeUsage) =>
        new(async (events, cancellationToken) =>
        {
            ChatCompletionChunk Chunk(ChatDelta delta, string? finish) =>
                new(id, "chat.completion.chunk", clock.GetUtcNow().ToUnixTimeSeconds(), model, [new ChatCompletionChunkChoice(0, delta, finish)], null);

            await events.JsonAsync(Chunk(new ChatDelta("assistant", ""), null), RunnerJson.Wire.ChatCompletionChunk, cancellationToken);
            LlmDelta last = default;
            await foreach (var delta in session.Generation.RunAsync(cancellationToken))
            {
                last = delta;
                var chunk = delta.FinishReason is null ? Chunk(new ChatDelta(null, delta.Text), null) : Chunk(new ChatDelta(null, null), delta.FinishReason);
                await events.JsonAsync(chunk, RunnerJson.Wire.ChatCompletionChunk, cancellationToken);
            }

            if (includeUsage)
            {
                var usage = new ChatCompletionChunk(id, "chat.completion.chunk", clock.GetUtcNow().ToUnixTimeSeconds(), model, [], LlmUsage.Of(last.PromptTokens, last.CompletionTokens));
                await events.JsonAsync(usage, RunnerJson.Wire.ChatCompletionChunk, cancellationToken);
            }

            await events.RawAsync("[DONE]", cancellationToken);
        }, session);
}

/// <summary>An OpenAI chat-completions request, read leniently as OpenAI's own server does; <c>top_k</c> is an extension.</summary>
internal sealed record OpenAiChatRequest(string Model, LlmRequestOptions Options, bool Stream, bool IncludeUsage)
{
    public static OpenAiChatRequest Parse(ReadOnlyMemory<byte> body)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BadInputException($"The request body is not valid JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
            throw new BadInputException("The request body must be a JSON object.");
        if (Number(root, "n") is { } n && n != 1)
            throw new BadInputException("Only n=1 is supported.");

        var options = new LlmRequestOptions(
            Messages(root),
            Number(root, "temperature") ?? 1.0,
            Number(root, "top_p") ?? 1.0,
            (int)(Number(root, "top_k") ?? -1),
            (int)Math.Clamp(Number(root, "max_completion_tokens") ?? Number(root, "max_tokens") ?? int.MaxValue, int.MinValue, int.MaxValue),
            (long?)Number(root, "seed"),
            Stops(root));
        var includeUsage = root.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind == JsonValueKind.Object
            && streamOptions.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
        return new OpenAiChatRequest(Text(root, "model") ?? "", options, root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True, includeUsage);
    }

    private static List<ChatMessage> Messages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new BadInputException("'messages' must be an array of {role, content} objects.");
        return messages.EnumerateArray().Select(m =>
        {
            if (m.ValueKind != JsonValueKind.Object || Text(m, "role") is not { } role)
                throw new BadInputException("Each message needs a string 'role'.");
            return new ChatMessage(role, Content(m));
        }).ToList();
    }

    /// <summary>content is a string, or a list of parts of which the text ones are joined.</summary>
    private static string Content(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            return "";
        if (content.ValueKind == JsonValueKind.String)
            return content.GetString()!;
        if (content.ValueKind == JsonValueKind.Array)
            return string.Concat(content.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object && Text(p, "type") == "text").Select(p => Text(p, "text")));
        throw new BadInputException("A message's 'content' must be a string or a list of text parts.");
    }

    private static List<string> Stops(JsonElement root) =>
        !root.TryGetProperty("stop", out var stop) ? []
        : stop.ValueKind == JsonValueKind.String ? [stop.GetString()!]
        : stop.ValueKind == JsonValueKind.Array ? stop.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!).ToList()
        : stop.ValueKind == JsonValueKind.Null ? []
        : throw new BadInputException("'stop' must be a string or a list of strings.");

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
        : throw new BadInputException($"'{name}' must be a number.");
}
