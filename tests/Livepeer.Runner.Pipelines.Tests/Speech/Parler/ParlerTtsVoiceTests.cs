using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Parler;
using Livepeer.Runner.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Livepeer.Runner.Pipelines.Tests.Speech.Parler;

/// <summary>
/// Parler-TTS on the tiny fixture (random weights, the real codebook ids) through real ONNX Runtime. The fixture may
/// stop at any step, so the tests assert what is determined: whole DAC frames of 512 samples, at most
/// <c>max_length − num_codebooks</c> of them per run, reproducible under a seed, and long text in several runs.
/// Most tests run a copy whose <c>max_length</c> is <see cref="ShortMaxLength"/> (<see cref="ParlerFixtureCopy"/>).
/// </summary>
public sealed class ParlerTtsVoiceTests : IClassFixture<ParlerTtsVoiceTests.ShortFixture>
{
    public const int ShortMaxLength = 40;

    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private static readonly string Folder = TestPaths.Model("tiny", "parler-tts");

    private readonly ParlerTtsVoice _voice;

    public ParlerTtsVoiceTests(ShortFixture fixture) => _voice = fixture.Voice;

    /// <summary>The short copy, loaded once for the class.</summary>
    public sealed class ShortFixture : IDisposable
    {
        private readonly ParlerFixtureCopy _copy = new(ShortMaxLength);

        public ShortFixture() => Voice = ParlerTtsVoice.Load("parler", _copy.Folder, Sessions);

        public ParlerTtsVoice Voice { get; }

        public void Dispose()
        {
            Voice.Dispose();
            _copy.Dispose();
        }
    }

    private ParlerTtsVoice Voice => _voice;

    private const string Description = "a female speaker with a slightly fast pace";

    private int MaxSamplesPerRun => (Voice.Config.MaxLength - Voice.Config.NumCodebooks) * Voice.Config.HopLength;

    [Fact]
    public void Load_ReadsTheCodebooksAndSamplingFromTheFiles()
    {
        using var voice = ParlerTtsVoice.Load("parler", Folder, Sessions);
        var config = voice.Config;

        Assert.Equal((9, 1024, 1025, 1024, 1024), (config.NumCodebooks, config.CodebookSize, config.BosTokenId, config.PadTokenId, config.EosTokenId));
        Assert.Equal((44_100, 512, 2580, 10), (config.SampleRate, config.HopLength, config.MaxLength, config.MinNewTokens));
        Assert.Equal((1.0, 50, 1.0), (config.SamplingTemperature, config.TopK, config.TopP));
    }

    [Fact]
    public async Task TheModelLoader_LoadsTheFixtureFolderAsAParlerVoice_WithItsCacheInTheEstimate()
    {
        var settings = new RunnerSettings { ExecutionProvider = "cpu" };
        var loader = new PipelineModelLoader(EngineRegistry.Default, new ModelLocator(Folder), Sessions, settings, TimeProvider.System, NullLogger<PipelineModelLoader>.Instance);
        var entry = new ModelEntry("text-to-speech", "parler-tts/parler-tts-large-v1", Warm: false, Folder);

        using var voice = await loader.LoadAsync(entry, 1L << 30, CancellationToken.None);

        Assert.IsType<ParlerTtsVoice>(voice);
        Assert.Equal(ParlerTtsVoice.ActivationBytes(Folder), loader.Estimate(entry).ActivationBytes);
        Assert.True(ParlerTtsVoice.ActivationBytes(Folder) > 64L << 20);
    }

    [Fact]
    public void Load_AFolderThatIsNotParler_IsRefused()
    {
        var e = Assert.Throws<ModelLoadException>(() => ParlerTtsVoice.Load("kokoro", TestPaths.Model("tiny", "kokoro"), Sessions));

        Assert.Contains("not a Parler-TTS model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Speech_OfTheFixtureAsShipped_IsWholeFramesAt44100_AtMost30SecondsLong()
    {
        using var voice = ParlerTtsVoice.Load("parler", Folder, Sessions);

        var audio = await voice.SpeakAsync(new SpeechRequest("hello world", Description, Seed: 1), CancellationToken.None);

        Assert.Equal(44_100, audio.SampleRate);
        Assert.Equal(0, audio.Samples.Length % 512);
        Assert.InRange(audio.Samples.Length, 512, (2580 - 9) * 512);
        Assert.All(audio.Samples, s => Assert.InRange(s, -1f, 1f));
    }

    [Fact]
    public async Task Speech_IsWholeFrames_AtMostMaxLengthMinusTheCodebooks()
    {
        var audio = await Voice.SpeakAsync(new SpeechRequest("hello world", Description, Seed: 2), CancellationToken.None);

        Assert.Equal(0, audio.Samples.Length % 512);
        Assert.InRange(audio.Samples.Length, 512, (ShortMaxLength - 9) * 512);
    }

    [Fact]
    public async Task SameSeed_GivesTheSameSamples_AnotherSeedOthers()
    {
        var request = new SpeechRequest("how are you today", Description, Seed: 7);
        var first = await Voice.SpeakAsync(request, CancellationToken.None);
        var again = await Voice.SpeakAsync(request, CancellationToken.None);
        var other = await Voice.SpeakAsync(request with { Seed = 8 }, CancellationToken.None);

        Assert.Equal(first.Samples, again.Samples);
        Assert.NotEqual(first.Samples, other.Samples);
    }

    [Fact]
    public async Task LongText_IsSpokenASentenceGroupAtATime_AndJoined()
    {
        var sentence = "hello world, how are you today. ";
        var text = string.Concat(Enumerable.Repeat(sentence, 40)); // 1,280 characters
        var request = new SpeechRequest(text, Description, Seed: 3);

        var parts = Voice.SpeakChunks(request, CancellationToken.None);
        var joined = await Voice.SpeakAsync(request, CancellationToken.None);

        Assert.Equal(SentenceChunks.Split(text, ParlerTtsVoice.ChunkChars).Count, parts.Count);
        Assert.True(parts.Count > 1);
        Assert.All(parts, part => Assert.InRange(part.Samples.Length, 512, MaxSamplesPerRun));
        Assert.Equal(parts.SelectMany(p => p.Samples), joined.Samples);
    }

    [Fact]
    public async Task DescriptionOverTheTokenLimit_IsBadInput()
    {
        var description = string.Join(' ', Enumerable.Repeat("voice", ParlerTtsVoice.MaxDescriptionTokens));

        var e = await Assert.ThrowsAsync<BadInputException>(() => Voice.SpeakAsync(new SpeechRequest("hello", description), CancellationToken.None));

        Assert.Equal($"The description is {ParlerTtsVoice.MaxDescriptionTokens + 1} tokens long; parler takes at most {ParlerTtsVoice.MaxDescriptionTokens}.", e.Message);
    }

    [Fact]
    public async Task ACancelledRequest_Stops()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Voice.SpeakAsync(new SpeechRequest("hello world", Description), cancelled.Token));
    }

    [Fact]
    public async Task ConcurrentRequests_OnOneModel_EachGiveTheirSeedsAudio()
    {
        var requests = Enumerable.Range(0, 4).Select(i => new SpeechRequest("hello world", Description, Seed: 100 + i)).ToArray();
        var alone = new List<float[]>();
        foreach (var request in requests)
            alone.Add((await Voice.SpeakAsync(request, CancellationToken.None)).Samples);

        var together = await Task.WhenAll(requests.Select(r => Task.Run(() => Voice.SpeakAsync(r, CancellationToken.None))));

        Assert.Equal(alone, together.Select(a => a.Samples));
    }
}
