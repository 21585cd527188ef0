using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

/// <summary>The fixture's tokenizer.json (ids read off its model.vocab by hand: h 50, ə 83, l 54, ˈ 156, o 57, ʊ 135, space 16, w 65, ɜ 87, ː 158, d 46).</summary>
public sealed class KokoroVocabularyTests
{
    internal static readonly KokoroVocabulary Fixture = KokoroVocabulary.Load("test/kokoro", TestPaths.Model("tiny", "kokoro"));

    [Fact]
    public void Encode_MapsEachPhonemeCharacterToItsId()
    {
        Assert.Equal([50L, 83, 54, 156, 57, 135, 16, 65, 156, 87, 158, 54, 46], Fixture.Encode("həlˈoʊ wˈɜːld"));
    }

    [Fact]
    public void Encode_KeepsPunctuation()
    {
        Assert.Equal([44L, 4, 16, 45, 3, 16, 46, 5, 6, 1, 2], Fixture.Encode("b. c, d!?;:"));
    }

    [Fact]
    public void Encode_DropsCharactersTheVocabularyLacks()
    {
        // ð, ɹ and the combining tilde are Kokoro phonemes the tiny vocabulary does not have; $ is the pad, not text.
        Assert.Equal([102L, 61, 16, 102, 68], Fixture.Encode("ðɪs ɪz\u0303ɹ"));
    }

    [Fact]
    public void Wrap_PutsThePadAtBothEnds()
    {
        Assert.Equal(0, Fixture.PadId);
        Assert.Equal([0L, 50, 83, 0], Fixture.Wrap([50, 83]));
        Assert.Equal([0L, 0], Fixture.Wrap([]));
    }

    [Theory]
    [InlineData('.', 0)]
    [InlineData('!', 0)]
    [InlineData(';', 1)]
    [InlineData(',', 2)]
    [InlineData(' ', 3)]
    public void BreakRank_OrdersSentenceEndsClauseMarksCommasThenSpaces(char mark, int rank)
    {
        Assert.Equal(rank, Fixture.BreakRank(Assert.Single(Fixture.Encode(mark.ToString()))));
    }

    [Fact]
    public void BreakRank_OfALetter_IsNone()
    {
        Assert.Null(Fixture.BreakRank(50));
    }

    [Fact]
    public void Load_WithoutTokenizer_ThrowsModelLoadNamingIt()
    {
        var empty = Directory.CreateTempSubdirectory("kokoro-vocab-");
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => KokoroVocabulary.Load("someone/kokoro", empty.FullName));
            Assert.Contains("tokenizer.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }
}
