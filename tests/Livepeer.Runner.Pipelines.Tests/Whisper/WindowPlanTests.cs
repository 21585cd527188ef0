using Livepeer.Runner.Pipelines.Whisper;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

public sealed class WindowPlanTests
{
    private const int Rate = 16_000;

    private static float[] Tone(int samples) => [.. Enumerable.Range(0, samples).Select(i => 0.3f * MathF.Sin(i * 0.05f))];

    [Theory]
    [InlineData(1)]
    [InlineData(10 * Rate)]
    [InlineData(30 * Rate)]
    public void AudioUpTo30Seconds_IsOneWindow(int samples)
    {
        Assert.Equal([new WindowPlan.Window(0, samples)], WindowPlan.For(Tone(samples)));
    }

    [Fact]
    public void LongAudio_IsCutAtTheQuietestPointBeforeEach30SecondMark()
    {
        var samples = Tone(70 * Rate);
        samples.AsSpan(27 * Rate, Rate / 2).Clear(); // half a second of silence at 27 s

        var windows = WindowPlan.For(samples);

        Assert.Equal(3, windows.Count);
        Assert.InRange(windows[0].Length, 27 * Rate, (27 * Rate) + (Rate / 2));
        Assert.Equal(windows[0].Length, windows[1].Start);
        Assert.Equal(samples.Length, windows[^1].Start + windows[^1].Length);
        Assert.All(windows, w => Assert.InRange(w.Length, 1, 30 * Rate));
    }

    [Fact]
    public void SilentLongAudio_UsesFull30SecondWindows()
    {
        var windows = WindowPlan.For(new float[95 * Rate]);

        Assert.Equal([0, 30 * Rate, 60 * Rate, 90 * Rate], windows.Select(w => w.Start));
    }
}
