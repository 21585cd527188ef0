using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Http;

/// <summary>
/// The one place where failures become HTTP replies (RUNNER-CONTRACT §1.5–1.6): typed exceptions map to the
/// route's status and message; anything unexpected is the route's default 500 message. Every body is JSON.
/// </summary>
internal static class ErrorResults
{
    public static IResult Envelope(int status, string message) =>
        Results.Json(new HttpError(new ApiError(message)), RunnerJson.Wire.HttpError, statusCode: status);

    public static IResult NotFound() =>
        Results.Json(new PlainDetail("Not Found"), RunnerJson.Wire.PlainDetail, statusCode: StatusCodes.Status404NotFound);

    public static IResult For(HttpContext context, Exception error, PipelineContract contract)
    {
        switch (error)
        {
            case RequestValidationException validation:
                return Results.Json(new HttpValidationError(validation.Errors), RunnerJson.Wire.HttpValidationError,
                    statusCode: StatusCodes.Status422UnprocessableEntity);
            case UnauthorizedException unauthorized:
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Envelope(StatusCodes.Status401Unauthorized, unauthorized.Message);
            case ModelNotConfiguredException mismatch:
                return Envelope(StatusCodes.Status400BadRequest,
                    contract.ModelMismatchMessage(string.Join(", ", mismatch.Configured), mismatch.Requested));
            case ModelBusyException busy:
                // go-livepeer retries elsewhere, without penalty, on a 500 whose message says "insufficient capacity".
                return Envelope(StatusCodes.Status500InternalServerError, busy.Message);
            case Pipelines.Llm.Templates.ChatTemplateException template:
                // The model's chat template uses something the engine lacks, or raised on this conversation.
                return Envelope(StatusCodes.Status400BadRequest, template.Message);
            case EngineUnavailableException or ModelLoadException when contract == PipelineContract.Llm:
                return Envelope(StatusCodes.Status500InternalServerError, error.Message);
            case not null when contract == PipelineContract.Llm:
                // ai-runner raises /llm's own checks (roles, ranges, context length) inside generation: all 500.
                return Envelope(StatusCodes.Status500InternalServerError, contract.DefaultError);
            case MalformedBodyException or BadInputException:
                return Envelope(StatusCodes.Status400BadRequest, error.Message);
            case PayloadTooLargeException:
                return Envelope(contract.Allows413 ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, error.Message);
            case UnsupportedMediaException:
                return Envelope(contract.Allows415 ? StatusCodes.Status415UnsupportedMediaType : StatusCodes.Status400BadRequest, error.Message);
        }

        return error switch
        {
            // ai-runner appends a period to the wrapped message even when it already ends with one.
            InferenceException => Envelope(StatusCodes.Status400BadRequest, $"Error during model execution: {error.Message}."),
            DeviceOutOfMemoryException => Envelope(StatusCodes.Status500InternalServerError, contract.OutOfMemoryError),
            EngineUnavailableException or ModelLoadException => Envelope(StatusCodes.Status500InternalServerError, error.Message),
            _ => Envelope(StatusCodes.Status500InternalServerError, contract.DefaultError),
        };
    }
}
