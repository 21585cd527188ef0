using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// Silero VAD v5 (16 kHz): speech probability per 512-sample frame, run as silero-vad's OnnxWrapper does (MANIFEST
/// G-VAD): each frame prefixed with the previous frame's last 64 samples, the recurrent <c>state</c> carried from
/// call to call, a trailing partial frame dropped. Thread-safe: the state lives in each call.
/// </summary>
public sealed class SileroVad : IDisposable
{
    public const int FrameSamples = 512;
    private const int ContextSamples = 64;
    private static readonly string[] InputNames = ["input", "state", "sr"];
    private static readonly string[] OutputNames = ["output", "stateN"];

    private readonly InferenceSession _session;

    private SileroVad(InferenceSession session) => _session = session;

    public static SileroVad Load(string onnxPath, OnnxSessionFactory sessions)
    {
        var session = sessions.Create("silero-vad", onnxPath);
        if (!InputNames.All(session.InputMetadata.ContainsKey) || !OutputNames.All(session.OutputMetadata.ContainsKey))
        {
            session.Dispose();
            throw new ModelLoadException("silero-vad", $"'{Path.GetFileName(onnxPath)}' is not a Silero VAD v5 graph (inputs input/state/sr, outputs output/stateN).");
        }

        return new SileroVad(session);
    }

    /// <summary>One probability per whole 512-sample frame of 16 kHz audio.</summary>
    public float[] Probabilities(ReadOnlySpan<float> samples, CancellationToken cancellationToken)
    {
        var frames = samples.Length / FrameSamples;
        var probabilities = new float[frames];
        var input = new float[ContextSamples + FrameSamples];
        var state = new float[2 * 128];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, input.Length]);
        using var stateValue = OrtValue.CreateTensorValueFromMemory(state, [2, 1, 128]);
        using var rate = OrtValue.CreateTensorValueFromMemory(new long[] { LogMelSpectrogram.SampleRate }, []);
        for (var f = 0; f < frames; f++)
        {
            input.AsSpan(FrameSamples, ContextSamples).CopyTo(input); // last 64 samples of the previous frame
            samples.Slice(f * FrameSamples, FrameSamples).CopyTo(input.AsSpan(ContextSamples));
            using var results = OnnxRun.Run(_session, InputNames, [inputValue, stateValue, rate], OutputNames, cancellationToken);
            probabilities[f] = results[0].GetTensorDataAsSpan<float>()[0];
            results[1].GetTensorDataAsSpan<float>().CopyTo(state);
        }

        return probabilities;
    }

    public void Dispose() => _session.Dispose();
}
