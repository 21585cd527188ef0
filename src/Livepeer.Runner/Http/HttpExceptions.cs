using Livepeer.Runner.Contract;

namespace Livepeer.Runner.Http;

/// <summary>The request's shape is wrong (FastAPI's 422): missing fields, wrong types, malformed JSON.</summary>
internal sealed class RequestValidationException(IReadOnlyList<ValidationError> errors) : Exception("Request validation failed.")
{
    public IReadOnlyList<ValidationError> Errors { get; } = errors;
}

/// <summary>The body could not be read at all (a broken multipart stream): 400, as Starlette answers.</summary>
internal sealed class MalformedBodyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Missing or wrong bearer token: 401 with <c>WWW-Authenticate: Bearer</c>.</summary>
internal sealed class UnauthorizedException(string message) : Exception(message);
