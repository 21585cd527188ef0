using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Speech;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Text-to-speech with the espeak-ng voice en-us on a paragraph of prose: the voice alone (one espeak-ng process, its
/// WAV parsed) and the reply's work on top (the PCM16 WAV and its data URL). The real-time factor is the paragraph's
/// speech duration, printed at setup, over the mean.
/// </summary>
[MemoryDiagnoser]
public class SpeechBenchmarks
{
    public const string Paragraph =
        "Livepeer is a decentralized video network. Orchestrators run transcoding and artificial intelligence jobs on " +
        "their graphics cards, and broadcasters pay for the work with probabilistic micropayments. This runner speaks " +
        "the network's batch contract, so an orchestrator can send it image, audio and text jobs, and it answers each " +
        "one with a clear reply or a clear error. When no neural voice is configured, a formant voice reads the text " +
        "aloud: robotic, but quick, and it needs no weights at all.";

    private EspeakVoice _voice = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _voice = await EspeakVoice.LoadAsync("espeak-ng/en-us", "en-us", new EspeakOptions(), CancellationToken.None);
        var audio = await _voice.SpeakAsync(Paragraph, CancellationToken.None);
        Console.WriteLine($"// paragraph: {Paragraph.Length} characters, {audio.Duration.TotalSeconds:0.00} s of speech at {audio.SampleRate} Hz");
    }

    [GlobalCleanup]
    public void Cleanup() => _voice.Dispose();

    [Benchmark]
    public Task<MonoAudio> SpeakParagraph() => _voice.SpeakAsync(Paragraph, CancellationToken.None);

    [Benchmark]
    public async Task<string> SpeakParagraphToWavDataUrl() =>
        DataUrl.Wav(WavWriter.Mono16(await _voice.SpeakAsync(Paragraph, CancellationToken.None)));
}
