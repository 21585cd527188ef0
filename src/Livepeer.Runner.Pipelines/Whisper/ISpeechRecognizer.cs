namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// A loaded speech-recognition model of any family (<see cref="WhisperModel"/>, <c>MoonshineModel</c>): what
/// <see cref="AudioToTextPipeline"/> calls. Samples are 16 kHz mono in [-1, 1] (<see cref="Media.AudioDecoder"/>);
/// chunk times are seconds in the file. One request at a time per model (the lease holds the turn).
/// </summary>
public interface ISpeechRecognizer : IDisposable
{
    string ModelId { get; }

    /// <summary>Whether <see cref="TranscriptionOptions.WordTimestamps"/> can be honoured (Whisper with a <c>_timestamped</c> export).</summary>
    bool SupportsWordTimestamps { get; }

    Task<Transcription> TranscribeAsync(float[] samples, TranscriptionOptions options, CancellationToken cancellationToken);

    /// <summary>Transcribes only the speech <paramref name="vad"/> finds; the chunks stay in the original file's time.</summary>
    Task<Transcription> TranscribeSpeechOnlyAsync(SileroVad vad, float[] samples, TranscriptionOptions options, VadOptions? vadOptions, CancellationToken cancellationToken);
}
