using System.Text.Json.Serialization;

namespace Livepeer.Runner.Contract;

/// <summary>The handled-error envelope: <c>{"detail":{"msg":"…"}}</c>.</summary>
public sealed record HttpError(ApiError Detail);

public sealed record ApiError(string Msg);

/// <summary>FastAPI's 404/405 body, where <c>detail</c> is a plain string.</summary>
public sealed record PlainDetail(string Detail);

/// <summary>FastAPI's 422 body.</summary>
public sealed record HttpValidationError(IReadOnlyList<ValidationError> Detail);

/// <summary>One pydantic validation error. <c>input</c> is always written (null when absent); <c>ctx</c> only when set.</summary>
public sealed record ValidationError(
    string Type,
    IReadOnlyList<object> Loc,
    string Msg,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] object? Input,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Ctx = null);
