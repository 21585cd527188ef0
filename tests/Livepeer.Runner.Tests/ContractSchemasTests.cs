using System.Text.Json;

namespace Livepeer.Runner.Tests;

/// <summary>The strict validator itself: it must fail on what go-livepeer's generated client would choke on.</summary>
public sealed class ContractSchemasTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void LlmChoiceWithAMessage_IsValid() =>
        Assert.Empty(ContractSchemas.Problems("LLMResponse", Json(
            """{"id":"chatcmpl-1","model":"m","created":1,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}]}""")));

    [Fact]
    public void NullWhereTheSchemaHasAnObject_IsInvalid() =>
        Assert.NotEmpty(ContractSchemas.Problems("LLMResponse", Json(
            """{"id":"chatcmpl-1","model":"m","created":1,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"choices":[{"index":0,"finish_reason":"stop","delta":null,"message":{"role":"assistant","content":"hi"}}]}""")));

    [Fact]
    public void PropertyTheSchemaDoesNotList_IsInvalid() =>
        Assert.NotEmpty(ContractSchemas.Problems("ImageResponse", Json("""{"images":[{"url":"data:,","seed":1,"nsfw":false,"extra":1}]}""")));

    [Fact]
    public void MissingRequiredProperty_IsInvalid() =>
        Assert.NotEmpty(ContractSchemas.Problems("HTTPError", Json("""{"detail":{}}""")));

    [Fact]
    public void WrongType_IsInvalid() =>
        Assert.NotEmpty(ContractSchemas.Problems("Media", Json("""{"url":"data:,","seed":"1","nsfw":false}""")));
}
