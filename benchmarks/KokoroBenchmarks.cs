using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Kokoro;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Text-to-speech with the tiny Kokoro fixture (random weights, so the graph's cost is not a real model's) on the
/// espeak-ng benchmark's paragraph: the phonemizer alone (espeak-ng IPA and kokoro's rules, one process per
/// 400-character chunk) and the whole voice (phonemes, ids, the graph's calls, the join). The real-time factor is the
/// speech duration, printed at setup, over the mean.
/// </summary>
[MemoryDiagnoser]
public class KokoroBenchmarks
{
    private KokoroModel _model = null!;
    private KokoroPhonemizer _phonemizer = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _model = KokoroModel.Load("kokoro", TestPaths.Model("tiny", "kokoro"), new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }), new EspeakOptions());
        _phonemizer = new KokoroPhonemizer(new EspeakOptions());
        var audio = await SpeakParagraph();
        Console.WriteLine($"// paragraph: {SpeechBenchmarks.Paragraph.Length} characters, {audio.Duration.TotalSeconds:0.00} s of speech at {audio.SampleRate} Hz");
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public async Task<int> PhonemizeParagraph()
    {
        var length = 0;
        foreach (var chunk in SentenceChunks.Split(SpeechBenchmarks.Paragraph, KokoroModel.TextChunkChars))
            length += (await _phonemizer.PhonemizeAsync(chunk, "en-us", CancellationToken.None)).Length;
        return length;
    }

    [Benchmark]
    public Task<MonoAudio> SpeakParagraph() => _model.SpeakAsync(new SpeechRequest(SpeechBenchmarks.Paragraph), CancellationToken.None);
}
