namespace Livepeer.Runner.Pipelines.Media;

/// <summary>One channel of audio: samples in [-1, 1] (values outside are clipped when written) at a sample rate.</summary>
public sealed record MonoAudio(float[] Samples, int SampleRate)
{
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);
}
