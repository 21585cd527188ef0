using System.Text.Json;
using Livepeer.Runner.Contract;

namespace Livepeer.Runner.Http;

/// <summary>Fields of a JSON body, coerced as pydantic's lax mode does; unknown keys are ignored.</summary>
internal sealed class JsonFields : RequestFields
{
    private const int MaxDepth = 64;

    private JsonFields(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    /// <summary>Parses the body; malformed JSON, an empty body or a non-object are FastAPI's 422s.</summary>
    public static JsonFields Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
            throw new RequestValidationException([new ValidationError("missing", ["body"], "Field required", null)]);

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var position = (object)(int)(e.BytePositionInLine ?? 0);
            throw new RequestValidationException([new ValidationError(
                "json_invalid", ["body", position], "JSON decode error", new Dictionary<string, string>(),
                new Dictionary<string, string> { ["error"] = e.Message })]);
        }

        if (root.ValueKind != JsonValueKind.Object)
            throw new RequestValidationException([new ValidationError(
                "model_attributes_type", ["body"], "Input should be a valid dictionary or object to extract fields from", root)]);
        return new JsonFields(root);
    }

    public bool TryGet(string name, out JsonElement value) =>
        Root.TryGetProperty(name, out value);

    protected override string? String(string name, bool required)
    {
        if (!Root.TryGetProperty(name, out var value))
        {
            if (required)
                Add(Pydantic.Missing(name, Root));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Add(Pydantic.StringType(name, value));
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // Valid JSON that is no .NET string: an unpaired surrogate escape such as "\ud800".
            Add(Pydantic.StringUnicode(name, null));
            return null;
        }
    }

    protected override long? IntOrNull(string name, bool required)
    {
        if (!Root.TryGetProperty(name, out var value))
        {
            if (required)
                Add(Pydantic.Missing(name, Root));
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Number when value.TryGetInt64(out var whole):
                return whole;
            case JsonValueKind.Number when value.TryGetDouble(out var number) && number == Math.Floor(number) && Math.Abs(number) < 9e15:
                return (long)number;
            case JsonValueKind.Number:
                Add(Pydantic.IntFromFloat(name, value));
                return null;
            case JsonValueKind.String when Pydantic.TryParseInt(value.GetString()!, out var parsed):
                return parsed;
            case JsonValueKind.String:
                Add(Pydantic.IntParsing(name, value));
                return null;
            case JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean() ? 1 : 0;
            default:
                Add(Pydantic.IntType(name, value));
                return null;
        }
    }

    protected override double? FloatOrNull(string name)
    {
        if (!Root.TryGetProperty(name, out var value))
            return null;

        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                return value.GetDouble();
            case JsonValueKind.String when Pydantic.TryParseFloat(value.GetString()!, out var parsed):
                return parsed;
            case JsonValueKind.String:
                Add(Pydantic.FloatParsing(name, value));
                return null;
            case JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean() ? 1 : 0;
            default:
                Add(Pydantic.FloatType(name, value));
                return null;
        }
    }

    protected override bool? BoolOrNull(string name)
    {
        if (!Root.TryGetProperty(name, out var value))
            return null;

        switch (value.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean();
            case JsonValueKind.Number when value.TryGetInt64(out var number) && number is 0 or 1:
                return number == 1;
            case JsonValueKind.String when Pydantic.ParseBool(value.GetString()!) is { } parsed:
                return parsed;
            case JsonValueKind.String:
                Add(Pydantic.BoolParsing(name, value));
                return null;
            default:
                Add(Pydantic.BoolType(name, value));
                return null;
        }
    }

    /// <summary>Records a shape error found by a route's own binder (e.g. inside the LLM's messages list).</summary>
    public void Report(ValidationError error) => Add(error);
}
