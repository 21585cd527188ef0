using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Kokoro;

/// <summary>A copy of the fixture with a second voice (bf_reversed: af_heart's rows reversed) and a Japanese one, which is not offered.</summary>
public sealed class KokoroVoiceChoiceTests : IDisposable
{
    private readonly KokoroFolder _folder = KokoroFolder.CopyOfFixture();
    private readonly KokoroModel _model;

    public KokoroVoiceChoiceTests()
    {
        _folder.AddReversedVoice("bf_reversed");
        _folder.AddReversedVoice("jf_alpha");
        _model = KokoroModel.Load("test/kokoro", _folder.Path, new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }), new EspeakOptions());
    }

    public void Dispose()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    private async Task<float[]> SpeakAsync(string description) =>
        (await _model.SpeakAsync(new SpeechRequest("Hello world.", description), CancellationToken.None)).Samples;

    [Fact]
    public void Voices_AreTheEnglishFiles_AndTheDefaultIsAfHeart()
    {
        Assert.Equal(["af_heart", "bf_reversed"], _model.Voices.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("af_heart", _model.DefaultVoice);
    }

    [Theory]
    [InlineData("bf_reversed", "bf_reversed")]
    [InlineData("BF_Reversed", "bf_reversed")]
    [InlineData("A calm voice: bf_reversed, please.", "bf_reversed")]
    [InlineData("af_heart", "af_heart")]
    [InlineData("", "af_heart")]
    [InlineData("A female speaker with a warm voice.", "af_heart")]
    [InlineData("af_nobody", "af_heart")]
    [InlineData("jf_alpha", "af_heart")]
    [InlineData("../voices/bf_reversed.bin", "bf_reversed")]
    public void VoiceFor_IsTheFirstVoiceTheDescriptionNames_ElseTheDefault(string description, string voice)
    {
        Assert.Equal(voice, _model.VoiceFor(description).Name);
    }

    [Fact]
    public async Task Speak_WithANamedVoice_UsesItsStyle()
    {
        var heart = await SpeakAsync("");
        var reversed = await SpeakAsync("bf_reversed");

        Assert.Equal(heart, await SpeakAsync("af_heart"));
        Assert.Equal(heart, await SpeakAsync("someone_unknown"));
        Assert.NotEqual(heart, reversed);
    }
}
