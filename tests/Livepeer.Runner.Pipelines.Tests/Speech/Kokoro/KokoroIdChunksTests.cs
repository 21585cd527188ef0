using Livepeer.Runner.Pipelines.Speech.Kokoro;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

public sealed class KokoroIdChunksTests
{
    private static readonly KokoroVocabulary Vocabulary = KokoroVocabularyTests.Fixture;

    private static List<long> Ids(string phonemes) => Vocabulary.Encode(phonemes);

    private static IReadOnlyList<long[]> Split(string phonemes, int max) => KokoroIdChunks.Split(Ids(phonemes), max, Vocabulary);

    private static void AssertPieces(IReadOnlyList<long[]> pieces, params string[] expected) =>
        Assert.Equal(expected.Select(Ids), pieces.Select(p => p.ToList()));

    [Fact]
    public void Split_WithinTheBound_IsOnePiece()
    {
        AssertPieces(Split("ab. cd", 6), "ab. cd");
    }

    [Fact]
    public void Split_OfNothing_IsNoPiece()
    {
        Assert.Empty(KokoroIdChunks.Split([], 510, Vocabulary));
        Assert.Empty(Split("   ", 510));
    }

    [Fact]
    public void Split_PrefersTheLastSentenceEndThatFits_KeepingTheMark()
    {
        AssertPieces(Split("ab. cd. efgh", 8), "ab. cd.", "efgh");
    }

    [Fact]
    public void Split_WithoutASentenceEnd_CutsAfterAComma()
    {
        AssertPieces(Split("abc, def ghi", 9), "abc,", "def ghi");
    }

    [Fact]
    public void Split_WithoutMarks_CutsAtTheLastSpace_DroppingIt()
    {
        // The space right after the bound still counts: "abcd efgh" is exactly 9 ids.
        AssertPieces(Split("abcd efgh ij", 9), "abcd efgh", "ij");
    }

    [Fact]
    public void Split_OfOneLongWord_CutsAtTheBound()
    {
        AssertPieces(Split("abcdefghij", 4), "abcd", "efgh", "ij");
    }

    [Fact]
    public void Split_OfALongText_KeepsEveryPieceWithinKokorosBound_AndLosesOnlyTheSpacesAtTheCuts()
    {
        var random = new Random(14);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzəɪʊˈː";
        var words = Enumerable.Range(0, 700).Select(_ => new string([.. Enumerable.Range(0, random.Next(1, 9)).Select(_ => alphabet[random.Next(alphabet.Length)])])
            + (random.Next(12) switch { 0 => ".", 1 => ",", 2 => ";", _ => "" }));
        var ids = Ids(string.Join(' ', words));
        Assert.True(ids.Count > 3 * KokoroModel.MaxPhonemeIds, $"{ids.Count} ids");

        var pieces = KokoroIdChunks.Split(ids, KokoroModel.MaxPhonemeIds, Vocabulary);

        Assert.True(pieces.Count >= 4, $"{pieces.Count} pieces");
        Assert.All(pieces, piece =>
        {
            Assert.InRange(piece.Length, 1, KokoroModel.MaxPhonemeIds);
            Assert.False(Vocabulary.IsSpace(piece[0]));
            Assert.False(Vocabulary.IsSpace(piece[^1]));
        });
        var space = Ids(" ");
        Assert.Equal(ids, pieces.Skip(1).Aggregate(pieces[0].ToList(), (joined, piece) =>
        {
            if (ids.Count > joined.Count && Vocabulary.IsSpace(ids[joined.Count]))
                joined.AddRange(space);
            joined.AddRange(piece);
            return joined;
        }));
    }
}
