using Livepeer.Runner.Pipelines.Captioning;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Captioning;

/// <summary>
/// BERT's WordPiece on the real bert-base-uncased vocabulary: the shared MANIFEST's G-BERT goldens, BLIP's
/// <c>[DEC]</c> prompt, and the cases where Microsoft.ML.Tokenizers 2.0.1 parts from transformers (the ids there are
/// worked out by hand from BertNormalizer / BertPreTokenizer / WordPiece and the vocabulary's line numbers).
/// </summary>
public sealed class BertWordPieceTokenizerTests
{
    private static readonly Lazy<BertWordPieceTokenizer> FromVocab = new(() =>
        BertWordPieceTokenizer.FromVocabFile(TestPaths.Asset("tokenizers", "bert-base-uncased", "vocab.txt")));

    private static readonly Lazy<BertWordPieceTokenizer> FromFixture = new(() => BertWordPieceTokenizer.Load(TestPaths.Model("tiny", "blip")));

    public static TheoryData<string> Sources => ["vocab.txt", "tokenizer.json"];

    private static BertWordPieceTokenizer Tokenizer(string source) => source == "vocab.txt" ? FromVocab.Value : FromFixture.Value;

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encode_GBertHelloWorld_MatchesTheGolden(string source) =>
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], Tokenizer(source).Encode("Hello, world!"));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encode_GBertBlipPrompt_MatchesTheGolden(string source) =>
        Assert.Equal([101, 1037, 3861, 1997, 102], Tokenizer(source).Encode("a picture of"));

    [Theory]
    [MemberData(nameof(Sources))]
    public void PromptIds_APictureOf_ReplacesClsWithDecAndDropsSep(string source) =>
        Assert.Equal([30522, 1037, 3861, 1997], BlipModel.PromptIds(Tokenizer(source), 30522, "a picture of"));

    [Theory]
    [InlineData("")]
    [InlineData("  \t ")]
    public void PromptIds_EmptyPrompt_IsDecAlone(string prompt) =>
        Assert.Equal([30522], BlipModel.PromptIds(FromVocab.Value, 30522, prompt));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encode_AsciiSymbols_AreWordsOfTheirOwn(string source) =>
        // BERT counts every ASCII non-alphanumeric as punctuation: $ 1002, ^ 1034, ` 1036, ~ 1066 (ML.Tokenizers drops them).
        Assert.Equal([101, 1019, 1002, 1034, 1036, 1066, 1060, 102], Tokenizer(source).Encode("5$ ^`~ x"));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encode_TabsAndNewlines_SeparateWords_AndControlsVanish(string source) =>
        // "tab here newctl" after clean-up: tab 21628, here 2182, then "newctl" → new 2047 ##ct 6593 ##l 2140
        // (ML.Tokenizers glues "tabherenewctl" together).
        Assert.Equal([101, 21628, 2182, 2047, 6593, 2140, 102], Tokenizer(source).Encode("tab\there\nnew\u0000ctl"));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encode_Accents_AreStrippedWithTheLowerCasing(string source) =>
        // strip_accents is null, so it follows lowercase: cafe 7668, de 2139 ##ja 3900, vu 24728; ÅNGSTRÖM → ang ##strom.
        Assert.Equal([101, 7668, 2139, 3900, 24728, 17076, 15687, 102], Tokenizer(source).Encode("Café déjà vu ÅNGSTRÖM"));

    [Fact]
    public void Encode_Hangul_DecomposesIntoJamo() =>
        // NFD of 한 is ᄒ ᅡ ᆫ (U+1112 U+1161 U+11AB), all letters, so they stay: ᄒ 1469, ##ᅡ 30006, ##ᆫ 30021.
        Assert.Equal([101, 1469, 30006, 30021, 102], FromVocab.Value.Encode("한"));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encode_AWordNoPiecesCover_IsOneUnk(string source) =>
        // 字 is not in the vocabulary (中 1746 and 文 1861 are), and CJK ideographs are words of their own.
        Assert.Equal([101, 1746, 1861, 100, 102], Tokenizer(source).Encode("中文字"));

    [Fact]
    public void Encode_SpecialTokenInText_IsKeptWhole() =>
        Assert.Equal([101, 1037, 103, 1038, 102], FromVocab.Value.Encode("a [MASK] b"));

    [Fact]
    public void Encode_DecInTextWithTokenizerJson_IsTheAddedToken() =>
        Assert.Equal([101, 30522, 1060, 102], FromFixture.Value.Encode("[DEC] x"));

    [Theory]
    [MemberData(nameof(Sources))]
    public void Decode_SkipsSpecials_JoinsPieces_AndCleansUpSpaces(string source)
    {
        // [DEC] a picture of a cat , don ' t ! una ##ffa ##ble [SEP] [PAD]
        int[] ids = [30522, 1037, 3861, 1997, 1037, 4937, 1010, 2123, 1005, 1056, 999, 14477, 20961, 3468, 102, 0];

        Assert.Equal("a picture of a cat, don't! unaffable", Tokenizer(source).Decode(ids));
    }

    [Fact]
    public void Decode_RoundTripsLowerCasedText() =>
        Assert.Equal("a dog sitting on a couch.", FromVocab.Value.Decode(FromVocab.Value.Encode("A dog sitting on a couch.")));
}
