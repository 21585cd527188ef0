namespace Livepeer.Runner.Http;

/// <summary>
/// Fields of a multipart (or urlencoded) form. As with FastAPI forms, a field sent as the empty string counts as
/// absent; every value is text and is parsed as pydantic parses strings.
/// </summary>
internal sealed class FormFields(IReadOnlyDictionary<string, string> text, IReadOnlyDictionary<string, UploadedFile> files) : RequestFields
{
    /// <summary>A form with no fields; a new one every time, since fields collect the request's validation errors.</summary>
    public static FormFields Empty() => new(new Dictionary<string, string>(), new Dictionary<string, UploadedFile>());

    public override UploadedFile RequiredFile(string name)
    {
        if (files.TryGetValue(name, out var file))
            return file;
        if (text.TryGetValue(name, out var value) && value.Length > 0)
        {
            Add(Pydantic.ExpectedFile(name, value));
            return new UploadedFile("", [], 0);
        }

        return base.RequiredFile(name);
    }

    protected override string? String(string name, bool required)
    {
        if (Value(name) is { } value)
            return value;
        if (required)
            Add(Pydantic.Missing(name, null));
        return null;
    }

    protected override long? IntOrNull(string name, bool required)
    {
        if (Value(name) is not { } value)
        {
            if (required)
                Add(Pydantic.Missing(name, null));
            return null;
        }

        if (Pydantic.TryParseInt(value, out var parsed))
            return parsed;
        Add(Pydantic.IntParsing(name, value));
        return null;
    }

    protected override double? FloatOrNull(string name)
    {
        if (Value(name) is not { } value)
            return null;
        if (Pydantic.TryParseFloat(value, out var parsed))
            return parsed;
        Add(Pydantic.FloatParsing(name, value));
        return null;
    }

    protected override bool? BoolOrNull(string name)
    {
        if (Value(name) is not { } value)
            return null;
        if (Pydantic.ParseBool(value) is { } parsed)
            return parsed;
        Add(Pydantic.BoolParsing(name, value));
        return null;
    }

    private string? Value(string name) => text.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
