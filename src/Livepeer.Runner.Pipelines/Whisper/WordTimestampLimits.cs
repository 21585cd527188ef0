namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>When <c>return_timestamps=word</c> is refused, and the words of the refusal.</summary>
public static class WordTimestampLimits
{
    /// <summary>ai-runner refuses word timestamps on audio over 60 minutes (RUNNER-CONTRACT §2.5).</summary>
    public const double MaxSeconds = 3600;

    /// <summary>The contract's 400 for audio over <see cref="MaxSeconds"/>.</summary>
    public static string TooLong(string modelId) => $"Word timestamps are only supported for audio files up to 60 minutes for model {modelId}.";

    /// <summary>A model whose export has no cross-attention outputs (or a family without them, such as Moonshine).</summary>
    public static string NotSupported(string modelId) =>
        $"Word timestamps are not supported by model {modelId}: they need a Whisper export whose decoder outputs cross-attentions (a *_timestamped export); use return_timestamps=true for segment timestamps.";
}
