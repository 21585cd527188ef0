using System.Net;
using System.Net.Http.Headers;

namespace Livepeer.Runner.Tests;

/// <summary>AUTH_TOKEN bearer auth (RUNNER-CONTRACT §1.2) and where it sits in the order of checks (§1.4).</summary>
public sealed class AuthTests(AuthenticatedRunner runner) : IClassFixture<AuthenticatedRunner>
{
    private HttpClient Client(string? authorization = null)
    {
        var client = runner.Host.CreateClient();
        if (authorization is not null)
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return client;
    }

    private static HttpContent UpscaleBody() => Requests.Form("image", Requests.Fixture, ("prompt", "x"));

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Basic s3cret-token")]
    [InlineData("Bearer")]
    [InlineData("Bearer s3cret-token-and-more")]
    [InlineData("s3cret-token")]
    public async Task MissingOrWrongToken_Is401WithChallenge(string? authorization)
    {
        using var response = await Client(authorization).PostAsync("/upscale", UpscaleBody());

        Assert.Equal("Invalid bearer token.", await response.ReadErrorAsync(HttpStatusCode.Unauthorized));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("Bearer s3cret-token")]
    [InlineData("bearer s3cret-token")]
    [InlineData("BEARER s3cret-token")]
    public async Task RightToken_AnySchemeCase_IsServed(string authorization)
    {
        using var response = await Client(authorization).PostAsync("/upscale", UpscaleBody());
        await response.ReadJsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/llm", """{"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("/image-to-text", null)]
    public async Task LlmAndImageToText_OmitThePeriod(string route, string? json)
    {
        HttpContent body = json is null ? Requests.Form("image", Requests.Fixture) : Requests.Json(json);
        using var response = await Client("Bearer nope").PostAsync(route, body);
        Assert.Equal("Invalid bearer token", await response.ReadErrorAsync(HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task ValidationComesBeforeAuth()
    {
        using var response = await Client().PostAsync("/upscale", Requests.Form("image", null, ("prompt", "x")));
        await response.ReadValidationAsync();
    }

    [Fact]
    public async Task EmptyPromptAndText_AreCheckedBeforeAuth()
    {
        using var prompt = await Client().PostAsync("/text-to-image", Requests.Json("""{"prompt":""}"""));
        Assert.Equal("Prompt must be provided.", await prompt.ReadErrorAsync(HttpStatusCode.BadRequest));

        using var text = await Client().PostAsync("/text-to-speech", Requests.Json("""{"text":""}"""));
        Assert.Equal("Text input must be provided.", await text.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task AuthComesBeforeTheModelRule()
    {
        using var response = await Client().PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "other/model")));
        await response.ReadErrorAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/version")]
    [InlineData("/hardware/info")]
    [InlineData("/hardware/stats")]
    [InlineData("/metrics")]
    [InlineData("/openapi.json")]
    public async Task ServiceRoutes_NeedNoToken(string route)
    {
        using var response = await Client().GetAsync(route);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
