using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Endpoints;
using Livepeer.Runner.Http;

namespace Livepeer.Runner.Live;

/// <summary>
/// The Live Runner front end of one registration: its prefix, its model fixed by the prefix, a 503 with a short JSON
/// body when the runner cannot take the request now, and a 413 for a body over its limit. It never waits for a turn
/// (go-livepeer already holds a capacity slot per request and passes our 503 through), so a busy model fails at once.
/// go-livepeer's proxy puts no limit on bodies (LIVE-RUNNER §1.5), so the runner's limits answer for themselves: an
/// upload over RUNNER_MAX_UPLOAD_BYTES or a JSON body over <see cref="BodyReader.JsonLimit"/> is a 413 on every route.
/// </summary>
internal static class LiveFrontEnd
{
    public const string BusyRetryAfterSeconds = "1";

    /// <summary>The batch routes' shapes under the prefix: the batch front end's error bodies, and 503 when busy.</summary>
    public static FrontEnd Batch(LiveRegistration registration) => For(registration, "live", ErrorResults.For, Busy, TooLarge, static route =>
        FrontEnd.Batch.DescribeErrors(route).Produces<HttpError>(StatusCodes.Status413PayloadTooLarge).Produces<HttpError>(StatusCodes.Status503ServiceUnavailable));

    /// <summary>The OpenAI routes under an LLM's prefix: the OpenAI front end's error bodies, and 503 when busy.</summary>
    public static FrontEnd OpenAi(LiveRegistration registration) => For(registration, "live-openai", OpenAiErrors.For, OpenAiBusy, OpenAiTooLarge, static route =>
        FrontEnd.OpenAi.DescribeErrors(route).Produces<OpenAiError>(StatusCodes.Status413PayloadTooLarge).Produces<OpenAiError>(StatusCodes.Status503ServiceUnavailable));

    private static FrontEnd For(LiveRegistration registration, string name, ErrorReply envelope, Func<HttpContext, ModelBusyException, IResult> busy,
        Func<PayloadTooLargeException, IResult> tooLarge, Func<RouteHandlerBuilder, RouteHandlerBuilder> describe)
    {
        var entry = registration.Entry;
        return new FrontEnd(
            name,
            registration.Prefix,
            (_, pipeline, requested) => requested.Length == 0 || string.Equals(requested, entry.ModelId, StringComparison.Ordinal)
                ? entry
                : throw new ModelNotConfiguredException(pipeline, requested, [entry.ModelId]),
            (context, error, contract) => error switch
            {
                ModelBusyException refused => busy(context, refused),
                PayloadTooLargeException large => tooLarge(large),
                _ => envelope(context, error, contract),
            },
            WhenBusy.Fail,
            NotFoundWithoutModels: false,
            describe);
    }

    private static IResult Busy(HttpContext context, ModelBusyException error)
    {
        context.Response.Headers.RetryAfter = BusyRetryAfterSeconds;
        return ErrorResults.Envelope(StatusCodes.Status503ServiceUnavailable, error.Message);
    }

    private static IResult TooLarge(PayloadTooLargeException error) => ErrorResults.Envelope(StatusCodes.Status413PayloadTooLarge, error.Message);

    private static IResult OpenAiTooLarge(PayloadTooLargeException error) =>
        OpenAiErrors.Error(StatusCodes.Status413PayloadTooLarge, error.Message, "invalid_request_error", "request_too_large");

    private static IResult OpenAiBusy(HttpContext context, ModelBusyException error)
    {
        context.Response.Headers.RetryAfter = BusyRetryAfterSeconds;
        return OpenAiErrors.Error(StatusCodes.Status503ServiceUnavailable, error.Message, "server_error", "server_busy");
    }
}
