using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>Requests as go-livepeer builds them, and readers for the contract's replies.</summary>
internal static class Requests
{
    public static byte[] Fixture { get; } = File.ReadAllBytes(TestPaths.Asset("upscale", "esrgan-slim", "fixture.png"));

    /// <summary>
    /// go-livepeer's multipart encoding (ai/worker/multipart.go): the file part first as application/octet-stream,
    /// then text fields, floats as %f and bools as true/false.
    /// </summary>
    public static MultipartFormDataContent Form(string fileField, byte[]? file, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent("go-livepeer-boundary");
        if (file is not null)
        {
            var part = new ByteArrayContent(file);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, fileField, "input.png");
        }

        foreach (var (name, value) in fields)
            form.Add(new StringContent(value), name);
        return form;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts the status and that the JSON body validates strictly against the contract's schema <paramref name="schema"/>.</summary>
    public static async Task<JsonElement> ReadValidJsonAsync(this HttpResponseMessage response, HttpStatusCode expected, string schema)
    {
        var json = await response.ReadJsonAsync(expected);
        ContractSchemas.AssertValid(schema, json);
        return json;
    }

    /// <summary>Asserts the handled-error envelope <c>{"detail":{"msg":…}}</c> (strictly the contract's HTTPError) and returns the message.</summary>
    public static async Task<string> ReadErrorAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var json = await response.ReadValidJsonAsync(expected, "HTTPError");
        var detail = json.GetProperty("detail");
        Assert.Equal(JsonValueKind.Object, detail.ValueKind);
        return detail.GetProperty("msg").GetString()!;
    }

    /// <summary>Asserts FastAPI's 422 body and returns its errors as (type, loc, msg).</summary>
    public static async Task<List<(string Type, string Loc, string Msg)>> ReadValidationAsync(this HttpResponseMessage response)
    {
        var json = await response.ReadValidJsonAsync(HttpStatusCode.UnprocessableEntity, "HTTPValidationError");
        return json.GetProperty("detail").EnumerateArray()
            .Select(e => (e.GetProperty("type").GetString()!, string.Join(".", e.GetProperty("loc").EnumerateArray().Select(l => l.ToString())), e.GetProperty("msg").GetString()!))
            .ToList();
    }

    public static byte[] DecodePngDataUrl(string url)
    {
        const string prefix = "data:image/png;base64,";
        Assert.StartsWith(prefix, url);
        return Convert.FromBase64String(url[prefix.Length..]);
    }
}
