using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>Word grouping of the real whisper-tiny byte-level BPE (MANIFEST G-WHISPER-TOK), as transformers groups words.</summary>
public sealed class WhisperWordsTests
{
    private const int EndOfText = 50257;
    private static readonly Lazy<WhisperTokenizer> Tokenizer = new(() => WhisperTokenizer.Load(TestPaths.Asset("tokenizers", "whisper", "tokenizer.json")));

    /// <summary>The tokens of each piece, encoded on its own, so the pieces are exactly the tokens' boundaries.</summary>
    private static List<int> Tokens(params string[] pieces) => [.. pieces.SelectMany(p => Tokenizer.Value.Encode(p))];

    private static string[] Words(IReadOnlyList<int> tokens, string? language = null) =>
        [.. WhisperWords.Group(tokens, Tokenizer.Value, EndOfText, language).Select(w => w.Text)];

    [Fact]
    public void Group_SpacesOpenWords_AndAWordOfSeveralTokensStaysWhole()
    {
        var tokens = Tokens(" Hello", " wonder", "ful", " world");

        var words = WhisperWords.Group(tokens, Tokenizer.Value, EndOfText);

        Assert.Equal([" Hello", " wonderful", " world"], words.Select(w => w.Text));
        Assert.Equal([0, 1, 3], words.Select(w => w.FirstToken));
        Assert.Equal([0, 2, 3], words.Select(w => w.LastToken));
    }

    [Fact]
    public void Group_ClosingPunctuation_JoinsTheWordBefore()
    {
        Assert.Equal([" Hello,", " world!"], Words(Tokens(" Hello", ",", " world", "!")));
    }

    [Fact]
    public void Group_QuotesAroundAWord_StayWithIt()
    {
        // ' "' opens a word, "Hello" (no space) extends it, the closing quote is appended.
        Assert.Equal([" \"Hello\""], Words(Tokens(" \"", "Hello", "\"")));
    }

    [Fact]
    public void Group_OpeningPunctuationAfterASpace_JoinsTheNextWord()
    {
        // " (" is a word of its own until the prepend pass moves it onto " 1"; ")" is then appended.
        Assert.Equal([" ( 1)", " apple."], Words(Tokens(" (", " 1", ")", " apple", ".")));
    }

    [Fact]
    public void Group_ContractionSuffix_IsNotPunctuation()
    {
        Assert.Equal([" It's", " fine"], Words(Tokens(" It", "'s", " fine")));
    }

    [Fact]
    public void Group_BytesOfOneCharacter_StayInOneWord()
    {
        var tokens = Tokens(" caf", "é", " 日本");
        Assert.True(tokens.Count > 3, "the test needs characters split over byte tokens");

        var words = WhisperWords.Group(tokens, Tokenizer.Value, EndOfText);

        Assert.Equal([" café", " 日本"], words.Select(w => w.Text));
        Assert.Equal(tokens.Count - 1, words[^1].LastToken);
    }

    [Fact]
    public void Group_JapaneseIsSplitIntoCharacters_NotSpaces()
    {
        var tokens = Tokens("日本語です");

        var words = Words(tokens, "ja");

        Assert.True(words.Length > 1);
        Assert.Equal("日本語です", string.Concat(words));
        Assert.Equal(["日本語です"], Words(tokens, "en"));
    }

    [Fact]
    public void Group_Sentence_WordsConcatenateToItsText()
    {
        const string text = " And so, my fellow Americans: ask not what your country can do for you (really).";

        var words = Words(Tokenizer.Value.Encode(text));

        Assert.Equal(text, string.Concat(words));
        Assert.Equal([" And", " so,", " my", " fellow", " Americans:", " ask", " not", " what", " your", " country", " can", " do", " for", " you", " (really)."], words);
    }
}
