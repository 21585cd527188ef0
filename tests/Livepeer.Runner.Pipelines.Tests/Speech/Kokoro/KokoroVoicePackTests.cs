using System.Buffers.Binary;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

public sealed class KokoroVoicePackTests
{
    private static readonly string AfHeart = TestPaths.Model("tiny", "kokoro", "voices", "af_heart.bin");

    private static KokoroVoicePack Load(string path) => KokoroVoicePack.Load("test/kokoro", path, 256);

    [Fact]
    public void Load_OfTheFixture_Has510RowsOf256_ForAmericanEnglish()
    {
        var voice = Load(AfHeart);

        Assert.Equal("af_heart", voice.Name);
        Assert.Equal("en-us", voice.Language);
        Assert.Equal(510, voice.Rows);
        Assert.Equal(256, voice.StyleDim);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(13, 13)]
    [InlineData(509, 509)]
    [InlineData(510, 509)]
    [InlineData(100_000, 509)]
    public void RowFor_IsTheTokenCount_CappedAtTheLastRow(int tokens, int row)
    {
        Assert.Equal(row, Load(AfHeart).RowFor(tokens));
    }

    [Theory]
    [InlineData(13)]
    [InlineData(509)]
    public void StyleFor_IsThatRowOfTheFile(int tokens)
    {
        var bytes = File.ReadAllBytes(AfHeart);
        var expected = Enumerable.Range(0, 256).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((tokens * 256 + i) * 4))).ToArray();

        Assert.Equal(expected, Load(AfHeart).StyleFor(tokens));
        Assert.NotEqual(expected, Load(AfHeart).StyleFor(tokens - 1));
    }

    [Theory]
    [InlineData("af_heart", "en-us")]
    [InlineData("am_adam", "en-us")]
    [InlineData("bf_emma", "en-gb")]
    [InlineData("jf_alpha", null)]
    [InlineData("zm_yunxi", null)]
    [InlineData("a", null)]
    public void LanguageOf_IsByTheFirstLetter(string voice, string? language)
    {
        Assert.Equal(language, KokoroVoicePack.LanguageOf(voice));
    }

    [Fact]
    public void Load_OfAFileThatIsNotWholeRows_ThrowsModelLoad()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("kokoro-voice-").FullName, "af_broken.bin");
        File.WriteAllBytes(path, new byte[1000]);
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => Load(path));
            Assert.Contains("1000 bytes", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
