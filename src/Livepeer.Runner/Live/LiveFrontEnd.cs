using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Endpoints;
using Livepeer.Runner.Http;

namespace Livepeer.Runner.Live;

/// <summary>
/// The Live Runner front end of one registration: its prefix, its model fixed by the prefix, and a 503 with a short
/// JSON body when the runner cannot take the request now. It never waits for a turn (go-livepeer already holds a
/// capacity slot per request and passes our 503 through), so a busy model fails at once.
/// </summary>
internal static class LiveFrontEnd
{
    public const string BusyRetryAfterSeconds = "1";

    /// <summary>The batch routes' shapes under the prefix: the batch front end's error bodies, and 503 when busy.</summary>
    public static FrontEnd Batch(LiveRegistration registration) => For(registration, "live", ErrorResults.For, Busy, static route =>
        FrontEnd.Batch.DescribeErrors(route).Produces<HttpError>(StatusCodes.Status503ServiceUnavailable));

    /// <summary>The OpenAI routes under an LLM's prefix: the OpenAI front end's error bodies, and 503 when busy.</summary>
    public static FrontEnd OpenAi(LiveRegistration registration) => For(registration, "live-openai", OpenAiErrors.For, OpenAiBusy, static route =>
        FrontEnd.OpenAi.DescribeErrors(route).Produces<OpenAiError>(StatusCodes.Status503ServiceUnavailable));

    private static FrontEnd For(LiveRegistration registration, string name, ErrorReply envelope, Func<HttpContext, ModelBusyException, IResult> busy,
        Func<RouteHandlerBuilder, RouteHandlerBuilder> describe)
    {
        var entry = registration.Entry;
        return new FrontEnd(
            name,
            registration.Prefix,
            (_, pipeline, requested) => requested.Length == 0 || string.Equals(requested, entry.ModelId, StringComparison.Ordinal)
                ? entry
                : throw new ModelNotConfiguredException(pipeline, requested, [entry.ModelId]),
            (context, error, contract) => error is ModelBusyException refused ? busy(context, refused) : envelope(context, error, contract),
            WhenBusy.Fail,
            NotFoundWithoutModels: false,
            describe);
    }

    private static IResult Busy(HttpContext context, ModelBusyException error)
    {
        context.Response.Headers.RetryAfter = BusyRetryAfterSeconds;
        return ErrorResults.Envelope(StatusCodes.Status503ServiceUnavailable, error.Message);
    }

    private static IResult OpenAiBusy(HttpContext context, ModelBusyException error)
    {
        context.Response.Headers.RetryAfter = BusyRetryAfterSeconds;
        return OpenAiErrors.Error(StatusCodes.Status503ServiceUnavailable, error.Message, "server_error", "server_busy");
    }
}
