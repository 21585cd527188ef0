using System.Net;

namespace Livepeer.Runner.Tests;

/// <summary>The contract's envelopes, messages and order of checks on every pipeline route (RUNNER-CONTRACT §1.4–1.6, §2).</summary>
public sealed class ContractErrorTests(ManyModelsRunner runner) : IClassFixture<ManyModelsRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    public static TheoryData<string> JsonRoutes => ["/text-to-image", "/llm", "/text-to-speech"];

    public static TheoryData<string, string> FormRoutes => new()
    {
        { "/image-to-image", "image" },
        { "/image-to-video", "image" },
        { "/upscale", "image" },
        { "/audio-to-text", "audio" },
        { "/segment-anything-2", "image" },
        { "/image-to-text", "image" },
    };

    private static HttpContent ValidBody(string route) => route switch
    {
        "/text-to-image" => Requests.Json("""{"prompt":"a fox","height":512,"width":512,"num_images_per_prompt":1}"""),
        "/llm" => Requests.Json("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8,"stream":false}"""),
        "/text-to-speech" => Requests.Json("""{"text":"Hello world"}"""),
        "/image-to-image" => Requests.Form("image", Requests.Fixture, ("prompt", "snow"), ("strength", "0.800000"), ("guidance_scale", "7.500000")),
        "/audio-to-text" => Requests.Form("audio", "RIFF"u8.ToArray(), ("return_timestamps", "true"), ("metadata", """{"duration":"12"}""")),
        "/upscale" => Requests.Form("image", Requests.Fixture, ("prompt", "x")),
        "/segment-anything-2" => Requests.Form("image", Requests.Fixture, ("point_coords", "[[10, 10]]"), ("point_labels", "[1]")),
        _ => Requests.Form("image", Requests.Fixture),
    };

    [Theory]
    [InlineData("/llm", "meta-llama/Meta-Llama-3.1-8B-Instruct")]
    [InlineData("/text-to-image", "SG161222/RealVisXL_V4.0_Lightning")]
    [InlineData("/image-to-image", "timbrooks/instruct-pix2pix")]
    [InlineData("/image-to-video", "stabilityai/stable-video-diffusion-img2vid-xt")]
    [InlineData("/image-to-text", "Salesforce/blip-image-captioning-large")]
    [InlineData("/segment-anything-2", "facebook/sam2-hiera-large")]
    [InlineData("/text-to-speech", "parler-tts/parler-tts-large-v1")]
    public async Task ModelWithoutFiles_Answers500SayingWhereTheyWereLookedFor(string route, string modelId)
    {
        using var response = await _client.PostAsync(route, ValidBody(route));
        var message = await response.ReadErrorAsync(HttpStatusCode.InternalServerError);
        Assert.StartsWith($"Model files for {modelId} were not found in", message);
    }

    [Theory]
    [MemberData(nameof(FormRoutes))]
    public async Task FormRoute_WithoutItsFile_Is422MissingAndNotAKestrel415(string route, string fileField)
    {
        using var asJson = await _client.PostAsync(route, Requests.Json("{}"));
        Assert.Contains(("missing", $"body.{fileField}", "Field required"), await asJson.ReadValidationAsync());

        using var textInsteadOfFile = await _client.PostAsync(route, Requests.Form("x", null, (fileField, "not a file")));
        Assert.Contains(("value_error", $"body.{fileField}", "Value error, Expected UploadFile, received: <class 'str'>"), await textInsteadOfFile.ReadValidationAsync());
    }

    [Fact]
    public async Task ValidationErrors_BelongToTheirOwnRequest()
    {
        // Regression: an empty form once was a shared instance, so each request's errors piled onto the next one's.
        foreach (var _ in Enumerable.Range(0, 3))
        {
            using var response = await _client.PostAsync("/audio-to-text", Requests.Json("{}"));
            Assert.Equal([("missing", "body.audio", "Field required")], await response.ReadValidationAsync());
        }
    }

    [Theory]
    [MemberData(nameof(JsonRoutes))]
    public async Task JsonRoute_MalformedJson_IsFastApisJsonInvalid(string route)
    {
        using var response = await _client.PostAsync(route, Requests.Json("""{"prompt": """));
        var error = Assert.Single(await response.ReadValidationAsync());
        Assert.Equal("json_invalid", error.Type);
        Assert.Equal("JSON decode error", error.Msg);
        Assert.StartsWith("body.", error.Loc);
    }

    [Theory]
    [MemberData(nameof(JsonRoutes))]
    public async Task JsonRoute_NonObjectOrEmptyBody_Is422(string route)
    {
        using var array = await _client.PostAsync(route, Requests.Json("[1,2]"));
        Assert.Equal([("model_attributes_type", "body", "Input should be a valid dictionary or object to extract fields from")], await array.ReadValidationAsync());

        using var empty = await _client.PostAsync(route, Requests.Json(""));
        Assert.Equal([("missing", "body", "Field required")], await empty.ReadValidationAsync());
    }

    [Fact]
    public async Task TextToImage_WrongTypes_ListEveryError()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json(
            """{"height":"tall","width":1.5,"seed":null,"guidance_scale":"x","safety_check":"maybe","model_id":7}"""));

        Assert.Equal(
        [
            ("missing", "body.prompt", "Field required"),
            ("string_type", "body.model_id", "Input should be a valid string"),
            ("int_parsing", "body.height", "Input should be a valid integer, unable to parse string as an integer"),
            ("int_from_float", "body.width", "Input should be a valid integer, got a number with a fractional part"),
            ("float_parsing", "body.guidance_scale", "Input should be a valid number, unable to parse string as a number"),
            ("bool_parsing", "body.safety_check", "Input should be a valid boolean, unable to interpret input"),
            ("int_type", "body.seed", "Input should be a valid integer"),
        ], await response.ReadValidationAsync());
    }

    [Fact]
    public async Task TextToImage_LaxValuesAndUnknownKeys_AreAccepted()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json(
            """{"prompt":"a fox","height":"512","width":512.0,"safety_check":"yes","seed":"7","unknown":[1]}"""));
        await response.ReadErrorAsync(HttpStatusCode.InternalServerError);
    }

    [Fact]
    public async Task TextToImage_EmptyPrompt_Is400()
    {
        using var response = await _client.PostAsync("/text-to-image", Requests.Json("""{"prompt":""}"""));
        Assert.Equal("Prompt must be provided.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task TextToSpeech_EmptyText_Is400()
    {
        using var response = await _client.PostAsync("/text-to-speech", Requests.Json("{}"));
        Assert.Equal("Text input must be provided.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("/text-to-image", "SG161222/RealVisXL_V4.0_Lightning", ".")]
    [InlineData("/image-to-image", "timbrooks/instruct-pix2pix", ".")]
    [InlineData("/image-to-video", "stabilityai/stable-video-diffusion-img2vid-xt", ".")]
    [InlineData("/upscale", "upscalerjs/esrgan-slim-x4, upscalerjs/esrgan-slim-x2, upscalerjs/esrgan-slim-x3", ".")]
    [InlineData("/audio-to-text", "openai/whisper-large-v3", ".")]
    [InlineData("/segment-anything-2", "facebook/sam2-hiera-large", ".")]
    [InlineData("/llm", "meta-llama/Meta-Llama-3.1-8B-Instruct", "")]
    [InlineData("/image-to-text", "Salesforce/blip-image-captioning-large", "")]
    [InlineData("/text-to-speech", "parler-tts/parler-tts-large-v1", "")]
    public async Task UnknownModel_Is400WithTheRoutesPunctuation(string route, string configured, string period)
    {
        const string asked = "../../etc/passwd";
        HttpContent body = route switch
        {
            "/text-to-image" => Requests.Json($$"""{"prompt":"x","model_id":"{{asked}}"}"""),
            "/text-to-speech" => Requests.Json($$"""{"text":"x","model_id":"{{asked}}"}"""),
            "/llm" => Requests.Json($$"""{"messages":[],"model":"{{asked}}"}"""),
            "/audio-to-text" => Requests.Form("audio", [1], ("model_id", asked)),
            _ => Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", asked)),
        };

        using var response = await _client.PostAsync(route, body);

        Assert.Equal($"pipeline configured with {configured} but called with {asked}{period}", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ModelIdMatching_IsCaseSensitive()
    {
        using var response = await _client.PostAsync("/upscale", Requests.Form("image", Requests.Fixture, ("prompt", "x"), ("model_id", "UpscalerJS/esrgan-slim-x4")));
        Assert.StartsWith("pipeline configured with", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ImageToVideo_SizeNotDivisibleBy8_Is400()
    {
        using var response = await _client.PostAsync("/image-to-video", Requests.Form("image", Requests.Fixture, ("width", "500")));
        Assert.Equal("`height` and `width` have to be divisible by 8 but are 576 and 500.", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task AudioToText_Over50MiB_Is413()
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", new byte[(50 * 1024 * 1024) + 1]));
        Assert.Equal("File size exceeds limit.", await response.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"duration":"twelve"}""")]
    [InlineData("""{"duration":[1]}""")]
    [InlineData("[]")]
    public async Task AudioToText_UnreadableDuration_Is400(string metadata)
    {
        using var response = await _client.PostAsync("/audio-to-text", Requests.Form("audio", [1, 2, 3], ("metadata", metadata)));
        Assert.Equal("Unable to calculate duration of file", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task ImageToText_Over50MiB_Is413WithoutPeriod()
    {
        using var response = await _client.PostAsync("/image-to-text", Requests.Form("image", new byte[(50 * 1024 * 1024) + 1]));
        Assert.Equal("File size exceeds limit", await response.ReadErrorAsync(HttpStatusCode.RequestEntityTooLarge));
    }

    [Theory]
    [InlineData("point_coords", "[[120, 200]")]
    [InlineData("point_labels", "one")]
    [InlineData("box", "{")]
    [InlineData("mask_input", "[[[")]
    public async Task SegmentAnything2_BadJsonArray_Is400NamingTheField(string field, string value)
    {
        using var response = await _client.PostAsync("/segment-anything-2", Requests.Form("image", Requests.Fixture, (field, value)));
        Assert.StartsWith($"Error parsing JSON for {field}: ", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Llm_BadMessages_Are422WithTheirLocation()
    {
        using var response = await _client.PostAsync("/llm", Requests.Json("""{"messages":[{"role":"user"},"hi",{"role":1,"content":"x"}]}"""));
        Assert.Equal(
        [
            ("missing", "body.messages.0.content", "Field required"),
            ("model_attributes_type", "body.messages.1", "Input should be a valid dictionary or object to extract fields from"),
            ("string_type", "body.messages.2.role", "Input should be a valid string"),
        ], await response.ReadValidationAsync());

        using var missing = await _client.PostAsync("/llm", Requests.Json("""{"model":""}"""));
        Assert.Equal([("missing", "body.messages", "Field required")], await missing.ReadValidationAsync());
    }

    [Fact]
    public async Task MalformedMultipart_Is400Json()
    {
        var body = new ByteArrayContent("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x\"\r\n\r\nabc"u8.ToArray());
        body.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");

        using var response = await _client.PostAsync("/upscale", body);

        Assert.Equal("There was an error parsing the body", await response.ReadErrorAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task UnknownPathAndWrongMethod_AreFastApisJson()
    {
        using var missing = await _client.GetAsync("/no-such-route");
        Assert.Equal("Not Found", (await missing.ReadJsonAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());

        using var wrongMethod = await _client.GetAsync("/upscale");
        Assert.Equal("Method Not Allowed", (await wrongMethod.ReadJsonAsync(HttpStatusCode.MethodNotAllowed)).GetProperty("detail").GetString());

        using var live = await _client.PostAsync("/live-video-to-video", Requests.Json("{}"));
        await live.ReadJsonAsync(HttpStatusCode.NotFound);
    }
}
