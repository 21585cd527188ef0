using Livepeer.Runner.Pipelines.Text;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Text;

/// <summary>
/// The T5 Unigram reader: the shared t5-small goldens (MANIFEST G-T5; a file without <c>"type": "Unigram"</c> and
/// with the real Precompiled normalizer), and the Parler fixture's own small vocabulary.
/// </summary>
public sealed class UnigramTokenizerTests
{
    private static readonly Lazy<UnigramTokenizer> T5Small = new(() => UnigramTokenizer.Load(TestPaths.Asset("tokenizers", "t5-small", "tokenizer.json")));
    private static readonly Lazy<UnigramTokenizer> Fixture = new(() => UnigramTokenizer.Load(Path.Combine(TestPaths.Model("tiny", "parler-tts"), "tokenizer.json")));

    [Theory]
    [InlineData("translate English to German: The house is wonderful.", new[] { 13959, 1566, 12, 2968, 10, 37, 629, 19, 1627, 5, 1 })]
    [InlineData("Hello world", new[] { 8774, 296, 1 })]
    public void T5Small_MatchesTheGoldens(string text, int[] expected)
    {
        Assert.Equal(expected, T5Small.Value.Encode(text));
    }

    [Fact]
    public void T5Small_ExtraWhitespace_IsIgnored()
    {
        Assert.Equal([8774, 296, 1], T5Small.Value.Encode("  Hello \t\n world  "));
    }

    [Fact]
    public void T5Small_PrecompiledCharsMap_FoldsFullWidthLettersAsNfkcDoes()
    {
        // U+FF28 … : NFKC maps full-width Latin to ASCII, and nmt_nfkc's charsmap holds that rule.
        Assert.Equal(T5Small.Value.Encode("Hello world"), T5Small.Value.Encode("\uFF28\uFF45\uFF4C\uFF4C\uFF4F world"));
    }

    [Fact]
    public void T5Small_Padded_IsTheGoldenThenPad_AndTruncationKeepsTheEndToken()
    {
        // transformers' padding="max_length", truncation=True, as the Flux and SD3 pipelines call T5's tokenizer.
        var pad = T5Small.Value.IdOf("<pad>");
        Assert.Equal(0, pad);
        Assert.Equal([8774, 296, 1, 0, 0, 0], T5Small.Value.EncodePadded("Hello world", 6, 0));
        Assert.Equal([8774, 296, 1], T5Small.Value.EncodePadded("Hello world", 3, 0));
        Assert.Equal([8774, 1], T5Small.Value.EncodePadded("Hello world", 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => T5Small.Value.EncodePadded("Hello world", 1, 0));
    }

    [Fact]
    public void T5Small_AddedTokensInTheText_AreTheirIds()
    {
        Assert.Equal([8774, 1, 296, 1], T5Small.Value.Encode("Hello</s>world"));
    }

    [Fact]
    public void Fixture_WordsOfItsVocabulary_AreOnePieceEach()
    {
        // <pad> 0, </s> 1, <unk> 2, ▁ 3, then ▁a 4, ▁the 5, … ▁hello 29, ▁world 30.
        Assert.Equal([29, 30, 1], Fixture.Value.Encode("hello world"));
        Assert.Equal([4, 6, 9, 1], Fixture.Value.Encode("a female voice"));
    }

    [Fact]
    public void Fixture_CharactersNoPieceCovers_FuseIntoOneUnknown()
    {
        var ids = Fixture.Value.Encode("hello \u00e9\u00e8\u00ea world");

        Assert.Equal([29, 3, 2, 30, 1], ids);
    }

    [Fact]
    public void Empty_IsTheEndTokenAlone()
    {
        Assert.Equal([1], Fixture.Value.Encode(""));
        Assert.Equal([1], T5Small.Value.Encode("   "));
    }
}
