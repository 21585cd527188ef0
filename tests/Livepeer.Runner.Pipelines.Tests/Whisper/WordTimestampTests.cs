using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Whisper;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>
/// Word timestamps on the tiny <c>whisper-tiny-timestamped</c> fixture (whisper-tiny's random weights in the
/// onnx-community <c>_timestamped</c> layout: graphs under onnx/, decoders with <c>cross_attentions.{i}</c>). The words
/// mean nothing; their grouping, order and times are what is checked.
/// </summary>
public sealed class WordTimestampTests
{
    private static readonly Lazy<float[]> Jfk = WhisperModelTests.Jfk;
    private static readonly TranscriptionOptions Words = new(ReturnTimestamps: true, WordTimestamps: true, MaxNewTokens: 60);

    private static WhisperModel Load(string fixture, bool merged = true) => WhisperModelTests.Load(fixture, merged);

    private static void AssertInOrderInside(Transcription result, double seconds)
    {
        Assert.NotEmpty(result.Chunks);
        var previousEnd = 0.0;
        foreach (var chunk in result.Chunks)
        {
            Assert.NotNull(chunk.End);
            Assert.InRange(chunk.Start, previousEnd, seconds);
            Assert.InRange(chunk.End!.Value, chunk.Start, seconds);
            previousEnd = chunk.End.Value;
        }
    }

    [Fact]
    public void Load_TimestampedExport_SupportsWords_AndThePlainOneDoesNot()
    {
        using var timestamped = Load("whisper-tiny-timestamped");
        using var plain = Load("whisper-tiny");

        Assert.True(timestamped.SupportsWordTimestamps);
        Assert.Equal([new AlignmentHead(1, 0), new AlignmentHead(1, 1)], timestamped.Config.AlignmentHeads);
        Assert.False(plain.SupportsWordTimestamps);
    }

    [Fact]
    public async Task Words_OnThePlainExport_AreRefused()
    {
        using var plain = Load("whisper-tiny");

        var error = await Assert.ThrowsAsync<BadInputException>(() => plain.TranscribeAsync(Jfk.Value, Words, CancellationToken.None));
        Assert.Equal(WordTimestampLimits.NotSupported("whisper-tiny"), error.Message);
    }

    [Fact]
    public async Task Words_ReadingCrossAttentions_LeavesTheDecodingAsItWas()
    {
        using var timestamped = Load("whisper-tiny-timestamped");
        using var plain = Load("whisper-tiny");
        var segments = Words with { WordTimestamps = false };

        var words = await timestamped.TranscribeAsync(Jfk.Value, Words, CancellationToken.None);
        var timestampedSegments = await timestamped.TranscribeAsync(Jfk.Value, segments, CancellationToken.None);
        var plainSegments = await plain.TranscribeAsync(Jfk.Value, segments, CancellationToken.None);

        Assert.NotEqual("", words.Text);
        Assert.Equal(plainSegments.Text, timestampedSegments.Text); // the same weights in the other layout
        Assert.Equal(timestampedSegments.Text, words.Text);
        Assert.True(words.Chunks.Count > timestampedSegments.Chunks.Count, "one chunk per word, more than per segment");
    }

    [Fact]
    public async Task Words_AreInOrder_InsideTheAudio_AndSpellTheText()
    {
        using var model = Load("whisper-tiny-timestamped");

        var result = await model.TranscribeAsync(Jfk.Value, Words, CancellationToken.None);

        AssertInOrderInside(result, Jfk.Value.Length / 16_000.0);
        Assert.Equal(result.Text, string.Concat(result.Chunks.Select(c => c.Text)));
        Assert.All(result.Chunks.Skip(1), c => Assert.False(string.IsNullOrWhiteSpace(c.Text)));
    }

    [Fact]
    public async Task MergedAndSplitDecoders_GiveTheSameWordTimes()
    {
        using var merged = Load("whisper-tiny-timestamped", merged: true);
        using var split = Load("whisper-tiny-timestamped", merged: false);

        var a = await merged.TranscribeAsync(Jfk.Value, Words, CancellationToken.None);
        var b = await split.TranscribeAsync(Jfk.Value, Words, CancellationToken.None);

        Assert.False(split.UsesMergedDecoder);
        Assert.Equal(a.Chunks, b.Chunks);
    }

    [Fact]
    public async Task LongAudio_WordsOfEveryWindow_AreInFileTime()
    {
        using var model = Load("whisper-tiny-timestamped");
        var samples = Enumerable.Repeat(Jfk.Value, 7).SelectMany(s => s).ToArray(); // 77 s: three windows in one batch

        var windows = await model.DecodeWindowsAsync(samples, Words, CancellationToken.None);
        var result = await model.TranscribeAsync(samples, Words, CancellationToken.None);

        Assert.Equal(3, windows.Count);
        Assert.All(windows, w => Assert.Equal(w.Prompt.Count + w.Generated.Count, w.TokenStarts!.Count));
        AssertInOrderInside(result, samples.Length / 16_000.0);
        Assert.Contains(result.Chunks, c => c.Start >= windows[2].StartSeconds);
    }
}
