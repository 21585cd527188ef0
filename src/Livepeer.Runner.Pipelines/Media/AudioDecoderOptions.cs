namespace Livepeer.Runner.Pipelines.Media;

/// <summary>Bounds of one ffmpeg decode. The defaults fit the contract: 50 MiB uploads, no stated duration limit.</summary>
public sealed record AudioDecoderOptions
{
    /// <summary>The ffmpeg executable: a name looked up on PATH, or a full path.</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";

    /// <summary>Wall-clock limit of one decode; a file that takes longer is treated as malformed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest audio accepted; it also bounds the PCM read back (16 kHz · 4 bytes per second).</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(3);

    /// <summary>Largest upload accepted (the contract's 413 limit, 50 MiB).</summary>
    public long MaxInputBytes { get; init; } = 52_428_800;
}
