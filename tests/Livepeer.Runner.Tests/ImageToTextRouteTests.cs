using System.Net;
using System.Net.Http.Headers;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>The tiny BLIP fixture behind /image-to-text, with AUTH_TOKEN set, as go-livepeer calls it.</summary>
public sealed class CaptioningRunner : ConfiguredRunner
{
    public const string Token = "caption-token";

    protected override IEnumerable<object> Models() =>
    [
        new { pipeline = "image-to-text", model_id = "test/tiny-blip", warm = true, path = TestPaths.Model("tiny", "blip") },
    ];

    protected override IEnumerable<(string Name, string Value)> Settings() => [("AUTH_TOKEN", Token)];
}

public sealed class ImageToTextRouteTests(CaptioningRunner runner) : IClassFixture<CaptioningRunner>
{
    private static readonly byte[] Chelsea = File.ReadAllBytes(TestPaths.Asset("images", "chelsea.png"));

    private readonly HttpClient _client = Authorized(runner.Host.CreateClient());

    private static HttpClient Authorized(HttpClient client)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CaptioningRunner.Token);
        return client;
    }

    private async Task<string> CaptionAsync(byte[] image, params (string Name, string Value)[] fields)
    {
        using var response = await _client.PostAsync("/image-to-text", Requests.Form("image", image, fields));
        var json = await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageToTextResponse");
        Assert.Equal(["text"], json.EnumerateObject().Select(p => p.Name));
        return json.GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task Photo_IsCaptioned()
    {
        var caption = await CaptionAsync(Chelsea);

        Assert.False(string.IsNullOrWhiteSpace(caption));
        Assert.DoesNotContain("[SEP]", caption, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameImage_GivesTheSameCaption_OnEitherRouteSpelling()
    {
        var first = await CaptionAsync(Chelsea, ("model_id", "test/tiny-blip"));
        using var response = await _client.PostAsync("/image-to-text/", Requests.Form("image", Chelsea));
        var second = (await response.ReadValidJsonAsync(HttpStatusCode.OK, "ImageToTextResponse")).GetProperty("text").GetString();

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Prompt_PrefixesTheCaption()
    {
        var caption = await CaptionAsync(Chelsea, ("prompt", "A picture of"));

        Assert.StartsWith("a picture of", caption, StringComparison.Ordinal);
        Assert.True(caption.Length > "a picture of".Length, "the model continues the prompt");
    }

    [Fact]
    public async Task UndecodableImage_IsAJson400_AndTheRouteKeepsServing()
    {
        using var bad = await _client.PostAsync("/image-to-text", Requests.Form("image", "\x89PNG\r\n\x1a\n not really"u8.ToArray()));
        Assert.NotEmpty(await bad.ReadErrorAsync(HttpStatusCode.BadRequest));

        Assert.False(string.IsNullOrWhiteSpace(await CaptionAsync(Requests.Fixture)));
    }

    [Fact]
    public async Task UnknownModel_IsTheContractsModelMismatch()
    {
        using var response = await _client.PostAsync("/image-to-text", Requests.Form("image", Chelsea, ("model_id", "Salesforce/blip-image-captioning-large")));

        Assert.Equal("pipeline configured with test/tiny-blip but called with Salesforce/blip-image-captioning-large",
            await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task MissingToken_Is401()
    {
        using var anonymous = runner.Host.CreateClient();
        using var response = await anonymous.PostAsync("/image-to-text", Requests.Form("image", Chelsea));

        Assert.Equal("Invalid bearer token", await response.ReadErrorAsync(HttpStatusCode.Unauthorized));
    }
}
