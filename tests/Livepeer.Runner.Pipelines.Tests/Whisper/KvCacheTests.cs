using System.Numerics.Tensors;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>
/// The cached decode against a decode without any cache: <c>decoder_model.onnx</c> re-run on the whole sequence at
/// every step, with the same logit rules. If the carried OrtValues were wrong (stale, misordered, cross/self swapped)
/// the two would part ways within a few tokens.
/// </summary>
public sealed class KvCacheTests
{
    [Theory]
    [InlineData("whisper-tiny", false)]
    [InlineData("whisper-large-v3", true)]
    public async Task CachedGreedyDecode_EqualsFullRecomputeWithoutCache(string fixture, bool timestamps)
    {
        var directory = TestPaths.Model("tiny", fixture);
        var sessions = new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" });
        var samples = AudioFiles.ReadWav(AudioFiles.JfkWav);
        const int maxNew = 24;
        using var model = WhisperModel.Load(fixture, directory, sessions);
        var options = new TranscriptionOptions(timestamps, "en", MaxNewTokens: maxNew);
        var window = Assert.Single(await model.DecodeWindowsAsync(samples, options, CancellationToken.None));

        using var encoder = sessions.Create(fixture, Path.Combine(directory, "encoder_model.onnx"));
        using var decoder = sessions.Create(fixture, Path.Combine(directory, "decoder_model.onnx"));
        var config = model.Config;
        var features = new LogMelSpectrogram(config.MelBins).Compute(samples);
        using var featureValue = OrtValue.CreateTensorValueFromMemory(features, [1, config.MelBins, LogMelSpectrogram.Frames]);
        using var encoded = encoder.Run(new RunOptions(), ["input_features"], [featureValue], ["last_hidden_state"]);
        var processor = new WhisperLogitsProcessor(config, timestamps);
        var sequence = window.Prompt.Select(id => (long)id).ToList();
        var generated = new List<int>();
        for (var step = 0; step < maxNew; step++)
        {
            using var ids = OrtValue.CreateTensorValueFromMemory(sequence.ToArray(), [1, sequence.Count]);
            using var outputs = decoder.Run(new RunOptions(), ["input_ids", "encoder_hidden_states"], [ids, encoded[0]], ["logits"]);
            var all = outputs[0].GetTensorDataAsSpan<float>();
            var vocab = all.Length / sequence.Count;
            var logits = all[^vocab..].ToArray();
            processor.Process(logits, generated, WhisperLogitsProcessor.MaxTimestampIndex(samples.Length));
            var token = TensorPrimitives.IndexOfMax<float>(logits);
            generated.Add(token);
            sequence.Add(token);
            if (token == config.EosTokenId)
                break;
        }

        Assert.True(generated.Count > 1, "the comparison needs more than one step");
        Assert.Equal(generated, window.Generated);
    }
}
