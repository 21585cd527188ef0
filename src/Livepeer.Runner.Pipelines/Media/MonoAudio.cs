namespace Livepeer.Runner.Pipelines.Media;

/// <summary>One channel of audio: samples in [-1, 1] (values outside are clipped when written) at a sample rate.</summary>
public sealed record MonoAudio(float[] Samples, int SampleRate)
{
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);

    /// <summary>The parts one after another with <paramref name="gap"/> of silence between them (a text spoken in pieces).</summary>
    /// <exception cref="ArgumentException">No parts, or parts at different rates.</exception>
    public static MonoAudio Join(IReadOnlyList<MonoAudio> parts, TimeSpan gap)
    {
        if (parts.Count == 0)
            throw new ArgumentException("Nothing to join.", nameof(parts));
        var rate = parts[0].SampleRate;
        if (parts.Any(part => part.SampleRate != rate))
            throw new ArgumentException("Parts at different sample rates.", nameof(parts));
        if (parts.Count == 1)
            return parts[0];

        var gapSamples = (int)Math.Round(gap.TotalSeconds * rate);
        var samples = new float[parts.Sum(part => part.Samples.Length) + gapSamples * (parts.Count - 1)];
        var at = 0;
        foreach (var part in parts)
        {
            part.Samples.CopyTo(samples, at);
            at += part.Samples.Length + gapSamples;
        }

        return new MonoAudio(samples, rate);
    }
}
