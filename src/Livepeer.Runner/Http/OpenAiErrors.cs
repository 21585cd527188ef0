using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Http;

/// <summary>The OpenAI front end's failures as OpenAI's <c>{"error":{message,type,param,code}}</c> body.</summary>
internal static class OpenAiErrors
{
    public static IResult For(HttpContext context, Exception error, PipelineContract contract) => error switch
    {
        UnauthorizedException => Error(StatusCodes.Status401Unauthorized, "Invalid bearer token.", "invalid_request_error", "invalid_api_key"),
        ModelNotConfiguredException e => Error(StatusCodes.Status404NotFound, $"The model '{e.Requested}' does not exist.", "invalid_request_error", "model_not_found"),
        BadInputException or RequestValidationException or PayloadTooLargeException => Error(StatusCodes.Status400BadRequest, error.Message, "invalid_request_error", null),
        ModelBusyException => Error(StatusCodes.Status503ServiceUnavailable, error.Message, "server_error", "model_busy"),
        EngineUnavailableException or ModelLoadException => Error(StatusCodes.Status500InternalServerError, error.Message, "server_error", null),
        _ => Error(StatusCodes.Status500InternalServerError, contract.DefaultError, "server_error", null),
    };

    public static IResult Error(int status, string message, string type, string? code) =>
        Results.Json(new OpenAiError(new OpenAiErrorBody(message, type, null, code)), RunnerJson.Wire.OpenAiError, statusCode: status);
}
