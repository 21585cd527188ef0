namespace Livepeer.Runner.Core.Errors;

// Typed failures that the host maps, in one place, to the contract's JSON envelopes.
// Nothing in the runner decides a status code by reading an exception's message text.

/// <summary>The request is wrong in a way the client can fix; the message is sent as it is (400).</summary>
public class BadInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The model rejected the input while running: ai-runner's InferenceError (400 "Error during model execution: …").</summary>
public sealed class InferenceException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An upload is larger than the route allows (413 where the contract lists it, else 400).</summary>
public sealed class PayloadTooLargeException(string message) : Exception(message);

/// <summary>Uploaded media could not be decoded as the route's media type (415 where the contract lists it).</summary>
public sealed class UnsupportedMediaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The request names a model that is not configured for its pipeline.</summary>
public sealed class ModelNotConfiguredException(string pipeline, string requested, IReadOnlyList<string> configured)
    : Exception($"Model '{requested}' is not configured for pipeline '{pipeline}'.")
{
    public string Pipeline { get; } = pipeline;
    public string Requested { get; } = requested;
    public IReadOnlyList<string> Configured { get; } = configured;
}

/// <summary>A device (GPU or the CPU budget) had no room for an allocation.</summary>
public sealed class DeviceOutOfMemoryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The model's files are missing or unusable, or its engine failed to start.</summary>
public sealed class ModelLoadException(string modelId, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ModelId { get; } = modelId;
}

/// <summary>Why a request could not be given a turn now.</summary>
public enum BusyReason
{
    /// <summary>Every turn of the model is taken (its engine's concurrency or the entry's capacity).</summary>
    ModelBusy,

    /// <summary>The device runs RUNNER_MAX_CONCURRENCY requests, or has no memory free for this one's activations.</summary>
    DeviceBusy,

    /// <summary>RUNNER_MAX_QUEUE requests are already waiting.</summary>
    QueueFull,

    /// <summary>The request waited RUNNER_MAX_QUEUE_WAIT_SECONDS.</summary>
    QueueTimeout,
}

/// <summary>
/// The runner cannot take the request now: its model or device is busy and the front end asked not to wait
/// (<see cref="Models.WhenBusy.Fail"/>), the queue is full, or the request waited too long. The message always contains
/// "insufficient capacity". Each front end answers it in its own words: the batch routes with go-livepeer's 500 (the
/// gateway then retries on another orchestrator without penalty), the Live Runner with a 503.
/// </summary>
public sealed class ModelBusyException(string modelId, BusyReason reason, string detail)
    : Exception($"insufficient capacity: {detail}")
{
    public string ModelId { get; } = modelId;

    public BusyReason Reason { get; } = reason;
}

/// <summary>The runner has no engine for this pipeline or model format yet; said plainly rather than faked.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>The runner's configuration is invalid; thrown at startup and names the offending entry.</summary>
public sealed class RunnerConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
