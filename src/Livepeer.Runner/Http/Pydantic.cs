using System.Globalization;
using Livepeer.Runner.Contract;

namespace Livepeer.Runner.Http;

/// <summary>
/// pydantic v2's lax-mode parsing of scalar fields and its error wording, so a 422 from this runner reads like
/// one from ai-runner (go-livepeer reads <c>loc</c>, <c>msg</c> and <c>type</c>).
/// </summary>
internal static class Pydantic
{
    public static ValidationError Missing(string field, object? input) =>
        new("missing", ["body", field], "Field required", input);

    public static ValidationError StringType(string field, object? input) =>
        new("string_type", ["body", field], "Input should be a valid string", input);

    public static ValidationError StringUnicode(string field, object? input) =>
        new("string_unicode", ["body", field], "Input should be a valid string, unable to parse raw data as a unicode string", input);

    public static ValidationError IntType(string field, object? input) =>
        new("int_type", ["body", field], "Input should be a valid integer", input);

    public static ValidationError IntParsing(string field, object? input) =>
        new("int_parsing", ["body", field], "Input should be a valid integer, unable to parse string as an integer", input);

    public static ValidationError IntFromFloat(string field, object? input) =>
        new("int_from_float", ["body", field], "Input should be a valid integer, got a number with a fractional part", input);

    public static ValidationError FloatType(string field, object? input) =>
        new("float_type", ["body", field], "Input should be a valid number", input);

    public static ValidationError FloatParsing(string field, object? input) =>
        new("float_parsing", ["body", field], "Input should be a valid number, unable to parse string as a number", input);

    public static ValidationError BoolType(string field, object? input) =>
        new("bool_type", ["body", field], "Input should be a valid boolean", input);

    public static ValidationError BoolParsing(string field, object? input) =>
        new("bool_parsing", ["body", field], "Input should be a valid boolean, unable to interpret input", input);

    public static ValidationError ExpectedFile(string field, object? input) =>
        new("value_error", ["body", field], "Value error, Expected UploadFile, received: <class 'str'>", input,
            new Dictionary<string, string> { ["error"] = "Expected UploadFile, received: <class 'str'>" });

    public static bool TryParseInt(string text, out long value) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static bool TryParseFloat(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>pydantic accepts these spellings for booleans, case-insensitively.</summary>
    public static bool? ParseBool(string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" or "t" or "y" => true,
        "false" or "0" or "no" or "off" or "f" or "n" => false,
        _ => null,
    };
}
