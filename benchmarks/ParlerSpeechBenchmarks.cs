using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Seq2Seq;
using Livepeer.Runner.Pipelines.Speech;
using Livepeer.Runner.Pipelines.Speech.Parler;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Parler-TTS on the tiny fixture as shipped (max_length 2580: its random weights run to the end, 30 s of audio): one
/// request end to end (description encode, prompt embed, 2,579 sampled 9-codebook steps, DAC decode), and one cached
/// decoder step (9 rows, a description of 10 tokens, a cache of a few positions). The real-time factor is the
/// request's audio duration, printed at setup, over the mean.
/// </summary>
[MemoryDiagnoser]
public class ParlerSpeechBenchmarks
{
    private const string Description = "a female speaker with a slightly fast pace and very clear audio quality";

    private static readonly SpeechRequest Request = new("hello world, how are you today", Description, Seed: 1);

    private ParlerTtsVoice _voice = null!;
    private Seq2SeqDecoder _decoder = null!;
    private OrtValue _encoderHidden = null!;
    private OrtValue _mask = null!;
    private OrtValue _prompt = null!;
    private OrtValue _noPrompt = null!;
    private DecoderInputs _inputs = null!;
    private Seq2SeqState _state = null!;
    private readonly long[] _next = Enumerable.Repeat(7L, 9).ToArray();

    [GlobalSetup]
    public void Setup()
    {
        var folder = TestPaths.Model("tiny", "parler-tts");
        var sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        _voice = ParlerTtsVoice.Load("parler", folder, sessions);
        var audio = _voice.SpeakAsync(Request, CancellationToken.None).GetAwaiter().GetResult();
        Console.WriteLine($"// one request: {audio.Duration.TotalSeconds:0.00} s of audio at {audio.SampleRate} Hz");

        _decoder = Seq2SeqDecoder.Load("parler", folder, sessions);
        const int width = 16;
        _encoderHidden = Random([1, 10, width]);
        _mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, 10).ToArray(), [1, 10]);
        _prompt = Random([1, 8, width]);
        _noPrompt = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [1, 0, width]);
        _inputs = new DecoderInputs(["encoder_attention_mask", "prompt_hidden_states"], [_mask, _prompt], [_mask, _noPrompt], CacheBatch: 1);
    }

    private static OrtValue Random(long[] shape)
    {
        var random = new Random(1);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() - 0.5);
        return OrtValue.CreateTensorValueFromMemory(values, shape);
    }

    [IterationSetup(Target = nameof(OneDecoderStep))]
    public void StartDecoder() => _state = _decoder.Start(_encoderHidden, Enumerable.Repeat(1025L, 9).ToArray(), 9, CancellationToken.None, _inputs);

    [IterationCleanup(Target = nameof(OneDecoderStep))]
    public void DisposeState() => _state.Dispose();

    [GlobalCleanup]
    public void Cleanup()
    {
        _voice.Dispose();
        _decoder.Dispose();
        foreach (var value in new[] { _encoderHidden, _mask, _prompt, _noPrompt })
            value.Dispose();
    }

    [Benchmark]
    public Task<MonoAudio> SpeakOneRequest() => _voice.SpeakAsync(Request, CancellationToken.None);

    [Benchmark]
    public void OneDecoderStep() => _decoder.Step(_state, _encoderHidden, _next, CancellationToken.None, _inputs);
}
