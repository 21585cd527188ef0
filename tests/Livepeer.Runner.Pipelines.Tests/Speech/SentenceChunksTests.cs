using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Speech;

namespace Livepeer.Runner.Pipelines.Tests.Speech;

public sealed class SentenceChunksTests
{
    [Fact]
    public void Split_OfShortText_IsTheTrimmedText()
    {
        Assert.Equal(["Hello there."], SentenceChunks.Split("  Hello there.  ", 100));
    }

    [Fact]
    public void Split_PrefersTheLastSentenceEndThatFits()
    {
        // 20 characters at most: "One two. Three four." is 20, so the second sentence end is the cut.
        Assert.Equal(["One two. Three four.", "Five six seven."], SentenceChunks.Split("One two. Three four. Five six seven.", 20));
    }

    [Fact]
    public void Split_WithoutASentenceEndInReach_CutsAtAClauseThenASpace()
    {
        Assert.Equal(["alpha beta,", "gamma delta", "epsilon"], SentenceChunks.Split("alpha beta, gamma delta epsilon", 12));
    }

    [Fact]
    public void Split_OfOneLongWord_CutsAtTheBound()
    {
        Assert.Equal(["abcd", "efgh", "ij"], SentenceChunks.Split("abcdefghij", 4));
    }

    [Fact]
    public void Split_DoesNotCutAtADecimalPoint()
    {
        Assert.Equal(["It costs 3.50 dollars", "today."], SentenceChunks.Split("It costs 3.50 dollars today.", 22));
    }

    [Fact]
    public void Split_OfLongText_KeepsEveryWordInOrderAndEveryChunkWithinTheBound()
    {
        var text = string.Join(' ', Enumerable.Range(0, 400).Select(i => i % 7 == 6 ? $"word{i}." : $"word{i}"));

        var chunks = SentenceChunks.Split(text, 60);

        Assert.All(chunks, chunk => Assert.InRange(chunk.Length, 1, 60));
        Assert.Equal(text.Split(' '), chunks.SelectMany(chunk => chunk.Split(' ')));
    }

    [Fact]
    public void Join_PutsTheGapBetweenParts()
    {
        var joined = MonoAudio.Join([new MonoAudio([0.5f, 0.5f], 10), new MonoAudio([-0.5f], 10)], TimeSpan.FromSeconds(0.3));

        Assert.Equal([0.5f, 0.5f, 0f, 0f, 0f, -0.5f], joined.Samples);
        Assert.Equal(10, joined.SampleRate);
    }

    [Fact]
    public void Join_OfPartsAtDifferentRates_Throws()
    {
        Assert.Throws<ArgumentException>(() => MonoAudio.Join([new MonoAudio([0f], 10), new MonoAudio([0f], 20)], TimeSpan.Zero));
    }
}
