using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>The real whisper-tiny tokenizer.json (MANIFEST G-WHISPER-TOK) and the tiny fixtures' GPT-2 vocabulary.</summary>
public sealed class WhisperTokenizerTests
{
    private static readonly Lazy<WhisperTokenizer> Real = new(() => WhisperTokenizer.Load(TestPaths.Asset("tokenizers", "whisper", "tokenizer.json")));
    private static readonly Lazy<WhisperTokenizer> Tiny = new(() => WhisperTokenizer.Load(TestPaths.Model("tiny", "whisper-tiny", "tokenizer.json")));

    [Fact]
    public void Decode_SplitUnicodeCase_GivesReplacementCharacterForTheIncompleteByte()
    {
        var text = Real.Value.Decode([8404, 871, 287, 6, 246, 526, 3210, 20378]);

        Assert.Equal(" elle est l'\uFFFDéritoire", text);
    }

    [Theory]
    [InlineData("Hello world", new[] { 15947, 1002 })]
    [InlineData(" Hello world", new[] { 2425, 1002 })]
    [InlineData("And so my fellow Americans", new[] { 5289, 370, 452, 7177, 6280 })]
    public void Encode_MultilingualVocab_GivesTheManifestIds(string text, int[] expected)
    {
        Assert.Equal(expected, Real.Value.Encode(text));
        Assert.Equal(text, Real.Value.Decode(expected));
    }

    [Fact]
    public void Encode_TinyFixture_UsesGpt2Ids()
    {
        Assert.Equal([15496, 995], Tiny.Value.Encode("Hello world"));
    }

    [Fact]
    public void IdOf_SpecialTokens_ComeFromTheFile()
    {
        var tokenizer = Real.Value;
        Assert.Equal(50257, tokenizer.IdOf("<|endoftext|>"));
        Assert.Equal(50258, tokenizer.IdOf("<|startoftranscript|>"));
        Assert.Equal(50359, tokenizer.IdOf("<|transcribe|>"));
        Assert.Equal(50363, tokenizer.IdOf("<|notimestamps|>"));
        Assert.Equal(50364, tokenizer.IdOf("<|0.00|>"));
        Assert.Equal(51864, tokenizer.IdOf("<|30.00|>"));
        Assert.Null(tokenizer.IdOf("<|nospeech|>"));
    }

    [Fact]
    public void Decode_SkipsSpecialAndTimestampTokens()
    {
        int[] ids = [50258, 50259, 50359, 50364, 15947, 1002, 50414, 50257];

        Assert.Equal("Hello world", Real.Value.Decode(ids, skipSpecialTokens: true, timestampBegin: 50364));
    }

    [Fact]
    public void Decode_WithoutSkipping_WritesAddedTokensAsText()
    {
        int[] ids = [50258, 50364, 15947, 1002, 50414, 50257];

        Assert.Equal("<|startoftranscript|><|0.00|>Hello world<|1.00|><|endoftext|>", Real.Value.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Decode_EmptyPlaceholderId_DecodesToNothing()
    {
        Assert.Equal(" a", Real.Value.Decode([50256, 257]));
    }

    [Fact]
    public void Load_LargeV3Fixture_HasTheShiftedIds()
    {
        var tokenizer = WhisperTokenizer.Load(TestPaths.Model("tiny", "whisper-large-v3", "tokenizer.json"));

        Assert.Equal(50358, tokenizer.IdOf("<|yue|>"));
        Assert.Equal(50363, tokenizer.IdOf("<|nospeech|>"));
        Assert.Equal(50364, tokenizer.IdOf("<|notimestamps|>"));
        Assert.Equal(50365, tokenizer.IdOf("<|0.00|>"));
    }
}
