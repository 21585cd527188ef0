using System.Diagnostics;
using System.Globalization;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Llm;
using Livepeer.Runner.Pipelines.Llm.Templates;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Our side of <c>benchmarks/peers/compare.py</c>: the three CPU stages the performance issue compares with the Python
/// stack, timed as the peer scripts time theirs (best and median of N runs with a stopwatch, after a warm-up long enough for
/// tiered compilation), on the
/// same inputs: the 1024² photo as PNG at level 1 (written for Pillow to read), the log-mel of one 30 s window of the
/// peer's synthetic signal, and stories260K's greedy generation of 256 tokens after "Once upon a time" (prefill and
/// decode timed apart, detokenization included). One line of JSON per figure.
/// </summary>
internal static class PeerFigures
{
    public const string Command = "peers";

    public static async Task RunAsync(int runs)
    {
        var photo = PngEncoderBenchmarks.Photo1024();
        Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
        File.WriteAllBytes(Path.Combine("BenchmarkDotNet.Artifacts", "png-peer-1024.png"), PngEncoder.Encode(photo, 9));
        var png = Time(runs, () => PngEncoder.Encode(photo, 1).Length);
        Print("png_level1_ms", png.Best, png.Median, ("bytes", png.Result));

        var samples = PeerSignal();
        foreach (var bins in (int[])[80, 128])
        {
            var mel = new LogMelSpectrogram(bins);
            var time = Time(runs, () => mel.Compute(samples).Length);
            Print($"logmel{bins}_ms", time.Best, time.Median);
        }

        var sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        using var model = LlmModel.Load("karpathy/stories260K", TestPaths.Asset("llm", "stories260K"), sessions);
        var prefill = new List<double>();
        var decode = new List<double>();
        var promptTokens = 0;
        for (var run = 0; run < runs + 3; run++)
        {
            var (prompt, prefillMs, decodeTokens, decodeMs) = await GenerateAsync(model);
            promptTokens = prompt;
            if (run < 3)
                continue; // warm-up
            prefill.Add(prefillMs);
            decode.Add(decodeTokens / (decodeMs / 1000));
        }

        prefill.Sort();
        decode.Sort();
        Print("llm_prefill_ms", prefill[0], prefill[prefill.Count / 2], ("tokens", promptTokens));
        Print("llm_decode_tok_s", decode[^1], decode[decode.Count / 2]);
    }

    /// <summary>The peer's signal (logmel_peer.py): sin(0.01·i)·0.3 plus uniform noise in [0, 0.1); content does not change the cost.</summary>
    private static float[] PeerSignal()
    {
        var random = new Random(1);
        return [.. Enumerable.Range(0, LogMelSpectrogram.WindowSamples).Select(i => (float)((Math.Sin(i * 0.01) * 0.3) + (random.NextDouble() * 0.1)))];
    }

    /// <summary>Prefill is the time to the first token's text; decode the rest, per token after the first.</summary>
    private static async Task<(int PromptTokens, double PrefillMs, int DecodeTokens, double DecodeMs)> GenerateAsync(LlmModel model)
    {
        var generation = new LlmGeneration(model, new LlmRequestOptions([new ChatMessage("user", "Once upon a time")], 0, 1, -1, 256));
        var clock = Stopwatch.StartNew();
        double? firstToken = null;
        var tokens = 0;
        await foreach (var delta in generation.RunAsync(CancellationToken.None))
        {
            firstToken ??= clock.Elapsed.TotalMilliseconds;
            tokens = delta.CompletionTokens;
        }

        var total = clock.Elapsed.TotalMilliseconds;
        return (generation.PromptTokens, firstToken ?? total, Math.Max(1, tokens - 1), total - (firstToken ?? total));
    }

    private static (double Best, double Median, int Result) Time(int runs, Func<int> work)
    {
        // Warm-up: enough calls for the JIT's tiered compilation to reach its optimised code, as a serving process has.
        var result = 0;
        for (var i = 0; i < 40; i++)
            result = work();
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            result = work();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        times.Sort();
        return (times[0], times[runs / 2], result);
    }

    private static void Print(string name, double best, double median, params (string Key, int Value)[] extra)
    {
        var fields = string.Concat(extra.Select(e => $", \"{e.Key}\": {e.Value}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"figure\": \"{name}\", \"best\": {best:0.###}, \"median\": {median:0.###}{fields}}}"));
    }
}
