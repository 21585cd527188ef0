using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Llm.Templates;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Prefill and decode speed of the LLM engine on the real stories260K model and the tiny GQA fixture.
/// Tokens per second = tokens ÷ the reported mean.
/// </summary>
[MemoryDiagnoser]
public class LlmBenchmarks
{
    private const int PromptTokens = 64;
    private const int DecodeTokens = 64;

    private LlmModel _model = null!;
    private long[] _prompt = null!;

    [Params("stories260K", "tiny-llm-llama")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var folder = Model == "stories260K" ? TestPaths.Asset("llm", "stories260K") : TestPaths.Model("tiny", "llm-llama");
        _model = LlmModel.Load(Model, folder, new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }));
        _prompt = Enumerable.Range(0, PromptTokens).Select(i => (long)(10 + (i % 200))).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark(Description = "prefill 64 tokens")]
    public float Prefill()
    {
        using var state = _model.Decoder.Start();
        _model.Decoder.Forward(state, _prompt, CancellationToken.None);
        return state.Logits[0];
    }

    [Benchmark(Description = "prefill 64 + decode 64 tokens (greedy)")]
    public float PrefillAndDecode()
    {
        using var state = _model.Decoder.Start();
        var decoder = _model.Decoder;
        decoder.Forward(state, _prompt, CancellationToken.None);
        var sampler = new TokenSampler(0, 1, -1, null);
        for (var i = 0; i < DecodeTokens; i++)
            decoder.Forward(state, [sampler.Next(state.Logits)], CancellationToken.None);
        return state.Logits[0];
    }

    /// <summary>A whole streamed generation as the route runs it: prompt format, prefill, 64 greedy steps, incremental text.</summary>
    [Benchmark(Description = "generation of 64 tokens with streaming text (greedy)")]
    public async Task<int> Generation()
    {
        var generation = new LlmGeneration(_model, new LlmRequestOptions([new ChatMessage("user", "Once upon a time")], 0, 1, -1, DecodeTokens));
        var characters = 0;
        await foreach (var delta in generation.RunAsync(CancellationToken.None))
            characters += delta.Text.Length;
        return characters;
    }
}
