namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>Bounds of one espeak-ng run. espeak-ng speaks about a thousand times faster than real time, so both are generous.</summary>
public sealed record EspeakOptions
{
    /// <summary>The espeak-ng executable: a name looked up on PATH, or a full path.</summary>
    public string ExecutablePath { get; init; } = "espeak-ng";

    /// <summary>Wall-clock limit of one synthesis (about 5,000 characters take a quarter of a second).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Longest speech accepted; it bounds the PCM read back (22,050 samples of 2 bytes a second). 5,000 characters of
    /// prose are about 5 minutes; the densest text found (emoji, whose names are spoken) about 20.
    /// </summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(30);
}
