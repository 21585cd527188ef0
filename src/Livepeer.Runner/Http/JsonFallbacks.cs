using Livepeer.Runner.Contract;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Livepeer.Runner.Http;

/// <summary>
/// Makes every reply JSON, including the ones the framework writes itself: an unknown route (404) or method (405)
/// gets FastAPI's <c>{"detail":"…"}</c>, any other empty error status a reason in the envelope, and an exception
/// that escapes a handler the 500 envelope instead of a plain-text page (which go-livepeer cannot parse).
/// </summary>
internal static class JsonFallbacks
{
    public static void UseJsonFallbacks(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = _ => StatusCodes.Status500InternalServerError,
            ExceptionHandler = context =>
            {
                if (context.RequestAborted.IsCancellationRequested)
                    return Task.CompletedTask;
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var message = error is BadHttpRequestException ? "There was an error parsing the body" : "Internal Server Error";
                var status = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
                return ErrorResults.Envelope(status, message).ExecuteAsync(context);
            },
        });

        app.UseStatusCodePages(context =>
        {
            var http = context.HttpContext;
            IResult body = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => Results.Json(new PlainDetail("Not Found"), RunnerJson.Wire.PlainDetail, statusCode: 404),
                StatusCodes.Status405MethodNotAllowed => Results.Json(new PlainDetail("Method Not Allowed"), RunnerJson.Wire.PlainDetail, statusCode: 405),
                var status => ErrorResults.Envelope(status, ReasonPhrases.GetReasonPhrase(status)),
            };
            return body.ExecuteAsync(http);
        });
    }
}
