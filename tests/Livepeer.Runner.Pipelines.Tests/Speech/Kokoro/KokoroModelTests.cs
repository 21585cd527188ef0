using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

/// <summary>The tiny Kokoro fixture (random weights, the onnx-community signature) on a real CPU session.</summary>
public sealed class KokoroModelTests : IDisposable
{
    private static readonly string Fixture = TestPaths.Model("tiny", "kokoro");
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private readonly KokoroModel _model = KokoroModel.Load("test/kokoro", Fixture, Sessions, new EspeakOptions());

    public void Dispose() => _model.Dispose();

    private Task<MonoAudio> SpeakAsync(string text, string description = "") =>
        _model.SpeakAsync(new SpeechRequest(text, description), CancellationToken.None);

    [Fact]
    public void Load_FindsTheFixturesVoice_AsTheDefault()
    {
        Assert.Equal(["af_heart"], _model.Voices.Keys);
        Assert.Equal("af_heart", _model.DefaultVoice);
    }

    [Fact]
    public async Task Speak_Gives24kHzAudio_ThatGrowsWithTheText()
    {
        var hello = await SpeakAsync("Hello world.");
        var longer = await SpeakAsync("Hello world. The quick brown fox jumps over the lazy dog, twice over.");

        Assert.Equal(KokoroModel.SampleRate, hello.SampleRate);
        Assert.True(hello.Samples.Length > 0);
        Assert.True(longer.Samples.Length > 2 * hello.Samples.Length, $"{longer.Samples.Length} vs {hello.Samples.Length}");
        Assert.All(hello.Samples, s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public async Task Speak_OfPunctuationOnly_IsSpokenAsKokorosPause()
    {
        Assert.NotEmpty((await SpeakAsync("...")).Samples);
    }

    [Fact]
    public async Task Speak_SameTextTwice_GivesTheSameSamples()
    {
        Assert.Equal((await SpeakAsync("The same words.")).Samples, (await SpeakAsync("The same words.")).Samples);
    }

    [Fact]
    public async Task Speak_IsOneCallOfThePaddedIds_WithTheStyleRowOfTheirCount()
    {
        var ids = _model.Vocabulary.Encode(await new KokoroPhonemizer(new EspeakOptions()).PhonemizeAsync("Hello world.", "en-us", CancellationToken.None));
        var voice = _model.Voices["af_heart"];

        var spoken = await SpeakAsync("Hello world.");

        Assert.Equal(_model.Synthesize([.. ids], voice, CancellationToken.None), spoken.Samples);
    }

    [Fact]
    public async Task Speak_OfLongText_JoinsTheCallsOfItsSentenceChunks()
    {
        var text = string.Join(' ', Enumerable.Repeat("Words, and more words, and then again more words to say.", 30));
        var phonemes = await new KokoroPhonemizer(new EspeakOptions()).PhonemizeAsync(text[..KokoroModel.TextChunkChars], "en-us", CancellationToken.None);
        Assert.True(_model.Vocabulary.Encode(phonemes).Count <= KokoroModel.MaxPhonemeIds, "a text chunk fits one call here");

        var pieces = new List<MonoAudio>();
        foreach (var chunk in SentenceChunks.Split(text, KokoroModel.TextChunkChars))
        {
            var ids = _model.Vocabulary.Encode(await new KokoroPhonemizer(new EspeakOptions()).PhonemizeAsync(chunk, "en-us", CancellationToken.None));
            pieces.AddRange(KokoroIdChunks.Split(ids, KokoroModel.MaxPhonemeIds, _model.Vocabulary)
                .Select(piece => new MonoAudio(_model.Synthesize(piece, _model.Voices["af_heart"], CancellationToken.None), KokoroModel.SampleRate)));
        }

        var spoken = await SpeakAsync(text);

        Assert.True(pieces.Count >= 4, $"{pieces.Count} calls");
        Assert.Equal(MonoAudio.Join(pieces, KokoroModel.Gap).Samples, spoken.Samples);
    }

    [Fact]
    public async Task Speak_OfAChunkOverKokorosBound_CutsItsIdsIntoSeveralCalls()
    {
        // 7777777 is "seven million seven hundred and seventy-seven thousand…": one text chunk, far over 510 phoneme ids.
        var text = string.Join(' ', Enumerable.Repeat("7777777", 40));
        Assert.Single(SentenceChunks.Split(text, KokoroModel.TextChunkChars));
        var ids = _model.Vocabulary.Encode(await new KokoroPhonemizer(new EspeakOptions()).PhonemizeAsync(text, "en-us", CancellationToken.None));
        var pieces = KokoroIdChunks.Split(ids, KokoroModel.MaxPhonemeIds, _model.Vocabulary);
        Assert.True(pieces.Count >= 2, $"{ids.Count} ids in {pieces.Count} pieces");

        var spoken = await SpeakAsync(text);

        var calls = pieces.Select(piece => new MonoAudio(_model.Synthesize(piece, _model.Voices["af_heart"], CancellationToken.None), KokoroModel.SampleRate)).ToList();
        Assert.Equal(MonoAudio.Join(calls, KokoroModel.Gap).Samples, spoken.Samples);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0\u0001")]
    public async Task Speak_OfNothingPronounceable_IsBadInput(string text)
    {
        await Assert.ThrowsAsync<BadInputException>(() => SpeakAsync(text));
    }

    [Fact]
    public async Task Speak_Cancelled_ThrowsOperationCanceled()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _model.SpeakAsync(new SpeechRequest("Hello."), new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Load_OfAGraphWithOtherInputs_ThrowsModelLoad()
    {
        using var folder = KokoroFolder.CopyOfFixture();
        File.Copy(TestPaths.Model("tiny", "whisper-tiny", "encoder_model.onnx"), Path.Combine(folder.Path, "onnx", "model.onnx"), overwrite: true);

        var error = Assert.Throws<ModelLoadException>(() => KokoroModel.Load("test/kokoro", folder.Path, Sessions, new EspeakOptions()));
        Assert.Contains("input_ids, style and speed", error.Message, StringComparison.Ordinal);
    }
}
