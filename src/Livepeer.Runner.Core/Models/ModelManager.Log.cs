using Microsoft.Extensions.Logging;

namespace Livepeer.Runner.Core.Models;

/// <summary>One structured log line per residency transition.</summary>
public sealed partial class ModelManager
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "model load start pipeline={Pipeline} model_id={ModelId} device={Device} estimate_bytes={EstimateBytes}")]
    private partial void LogLoadStarted(string pipeline, string modelId, string device, long estimateBytes);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "model load end pipeline={Pipeline} model_id={ModelId} device={Device} footprint_bytes={FootprintBytes} estimate_bytes={EstimateBytes} elapsed_ms={ElapsedMs:F0}")]
    private partial void LogLoadFinished(string pipeline, string modelId, string device, long footprintBytes, long estimateBytes, double elapsedMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "model load failed pipeline={Pipeline} model_id={ModelId} device={Device}")]
    private partial void LogLoadFailed(Exception error, string pipeline, string modelId, string device);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "model unload pipeline={Pipeline} model_id={ModelId} device={Device} reason={Reason} freed_bytes={FreedBytes}")]
    private partial void LogUnloaded(string pipeline, string modelId, string device, UnloadReason reason, long freedBytes);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "model load waiting for memory model_id={ModelId} device={Device} needs_bytes={NeedsBytes} free_bytes={FreeBytes}")]
    private partial void LogWaitingForMemory(string modelId, string device, long needsBytes, long freeBytes);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "model load out of memory, unloading idle models and retrying once model_id={ModelId} device={Device}")]
    private partial void LogOutOfMemoryRetry(Exception error, string modelId, string device);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "shutdown grace period over with leases still open device={Device}; disposing models")]
    private partial void LogDrainTimedOut(string device);
}
