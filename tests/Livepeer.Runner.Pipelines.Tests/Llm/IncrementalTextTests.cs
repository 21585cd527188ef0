using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

/// <summary>Streaming detokenization: the pieces, joined, are the whole decode, and no piece splits a character.</summary>
public sealed class IncrementalTextTests
{
    public static TheoryData<string, string> Cases => new()
    {
        // stories260K: SentencePiece with byte fallback (the accented letters and the emoji are byte pieces).
        { "stories260K", "Once upon a time, café naïve 🙂 — the end." },
        { "stories260K", "  two  spaces and\nnew lines\n" },
        // the tiny Llama fixture: GPT-2's byte-level BPE, multi-byte characters split across tokens.
        { "llm-llama", "Hello world, 東京 🙂 ünïcödé!" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pieces_JoinToTheWholeDecode_AndNeverEndMidCharacter(string model, string text)
    {
        var tokenizer = Tokenizer(model);
        var prompt = tokenizer.Encode("A prompt.", addBos: true);
        var generated = tokenizer.Encode(text, addBos: false);
        var incremental = new IncrementalText(tokenizer, prompt);

        var pieces = generated.Select(incremental.Add).ToList();
        var tail = incremental.Flush();

        var whole = tokenizer.Decode(prompt.Concat(generated));
        var expected = whole[tokenizer.Decode(prompt).Length..];
        Assert.Equal(expected, string.Concat(pieces) + tail);
        Assert.All(pieces, piece => Assert.DoesNotContain('\uFFFD', piece));
        Assert.Equal("", tail);
    }

    [Fact]
    public void AnIncompleteCharacter_IsHeldBack_UntilFlushed()
    {
        var tokenizer = Tokenizer("llm-llama");
        var emoji = tokenizer.Encode("🙂", addBos: false);
        Assert.True(emoji.Count > 1, "the emoji should take several byte-level tokens");
        var incremental = new IncrementalText(tokenizer, tokenizer.Encode("Hi", addBos: true));

        Assert.Equal("", incremental.Add(emoji[0]));

        Assert.Equal("\uFFFD", incremental.Flush()[^1..]);
    }

    private static LlmTokenizer Tokenizer(string model) => model == "stories260K"
        ? LlmTokenizer.FromModelFolder(model, TestPaths.Asset("llm", "stories260K"))
        : LlmTokenizer.FromModelFolder(model, TestPaths.Model("tiny", model));
}
