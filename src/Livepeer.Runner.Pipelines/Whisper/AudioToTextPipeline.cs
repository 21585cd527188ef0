using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// /audio-to-text: decode the upload with ffmpeg (415 when it is not audio), then transcribe under a lease with the
/// model's family (<see cref="ISpeechRecognizer"/>: Whisper or Moonshine); with RUNNER_VAD_MODEL set, only the speech
/// Silero VAD finds is transcribed and the chunks stay in file time. The VAD is leased from the model manager like the
/// speech model, so its memory is in the ledger.
/// </summary>
public sealed class AudioToTextPipeline(ModelManager models, RunnerSettings settings)
{
    private readonly AudioDecoder _decoder = new(new AudioDecoderOptions());
    private readonly ModelEntry? _vad = VoiceActivityEngine.Entry(settings);

    /// <summary>
    /// ai-runner's <c>return_timestamps</c>, lower-cased: true/1/sentence give segment chunks, false/0 none. Word
    /// timestamps need cross-attention outputs that optimum's Whisper export does not have, and Moonshine has no
    /// timestamp tokens at all, so they are refused plainly for both families; any other value is the model error
    /// ai-runner's HF pipeline would raise.
    /// </summary>
    public static bool ParseTimestamps(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "sentence" => true,
        "false" or "0" => false,
        "word" => throw new BadInputException("Word timestamps are not supported by this runner yet; use return_timestamps=true for segment timestamps."),
        var other => throw new InferenceException($"return_timestamps must be true, false, sentence or word, not '{other}'"),
    };

    public async Task<Transcription> RunAsync(LeaseRequest model, byte[] audio, bool timestamps, CancellationToken cancellationToken)
    {
        float[] samples;
        using (var upload = new MemoryStream(audio, writable: false))
            samples = await _decoder.DecodeAsync(upload, cancellationToken).ConfigureAwait(false);

        var seconds = samples.Length / (double)LogMelSpectrogram.SampleRate;
        if (seconds > settings.MaxAudioSeconds)
            throw new BadInputException($"The audio is {seconds:F0} s long; this runner transcribes at most {settings.MaxAudioSeconds:F0} s (RUNNER_MAX_AUDIO_SECONDS).");

        using var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        var recognizer = lease.Get<ISpeechRecognizer>();
        var options = new TranscriptionOptions(ReturnTimestamps: timestamps);
        if (_vad is null)
            return await recognizer.TranscribeAsync(samples, options, cancellationToken).ConfigureAwait(false);

        using var vad = await models.AcquireAsync(new LeaseRequest(_vad, model.WhenBusy), cancellationToken).ConfigureAwait(false);
        return await recognizer.TranscribeSpeechOnlyAsync(vad.Get<SileroVad>(), samples, options, null, cancellationToken).ConfigureAwait(false);
    }
}
