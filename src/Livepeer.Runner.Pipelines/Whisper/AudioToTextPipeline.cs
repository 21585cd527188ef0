using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>
/// /audio-to-text: decode the upload with ffmpeg (415 when it is not audio), then transcribe under a lease with the
/// model's family (<see cref="ISpeechRecognizer"/>: Whisper or Moonshine); with RUNNER_VAD_MODEL set, only the speech
/// Silero VAD finds is transcribed and the chunks stay in file time. The VAD is leased from the model manager like the
/// speech model, so its memory is in the ledger. Word chunks (<see cref="TimestampMode.Word"/>) are in file time too.
/// </summary>
public sealed class AudioToTextPipeline(ModelManager models, RunnerSettings settings)
{
    private readonly AudioDecoder _decoder = new(new AudioDecoderOptions());
    private readonly ModelEntry? _vad = VoiceActivityEngine.Entry(settings);

    /// <summary>
    /// ai-runner's <c>return_timestamps</c>, lower-cased: true/1/sentence give segment chunks, false/0 none, word one chunk
    /// per word (Whisper with a <c>_timestamped</c> export; other models refuse it once leased); any other value is the
    /// model error ai-runner's HF pipeline would raise.
    /// </summary>
    public static TimestampMode ParseTimestamps(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "sentence" => TimestampMode.Segment,
        "false" or "0" => TimestampMode.None,
        "word" => TimestampMode.Word,
        var other => throw new InferenceException($"return_timestamps must be true, false, sentence or word, not '{other}'"),
    };

    /// <summary>
    /// Word timestamps on more than 60 minutes are the contract's 400, decided on <paramref name="declaredSeconds"/>
    /// (the gateway's <c>metadata.duration</c>) before decoding when it is given, else on the decoded length; it comes
    /// before the runner's own length limit, whose default is also 60 minutes.
    /// </summary>
    public async Task<Transcription> RunAsync(LeaseRequest model, byte[] audio, TimestampMode timestamps, double? declaredSeconds, CancellationToken cancellationToken)
    {
        var words = timestamps == TimestampMode.Word;
        if (words && declaredSeconds > WordTimestampLimits.MaxSeconds)
            throw new BadInputException(WordTimestampLimits.TooLong(model.ModelId));

        float[] samples;
        using (var upload = new MemoryStream(audio, writable: false))
            samples = await _decoder.DecodeAsync(upload, cancellationToken).ConfigureAwait(false);

        var seconds = samples.Length / (double)LogMelSpectrogram.SampleRate;
        if (words && seconds > WordTimestampLimits.MaxSeconds)
            throw new BadInputException(WordTimestampLimits.TooLong(model.ModelId));
        if (seconds > settings.MaxAudioSeconds)
            throw new BadInputException($"The audio is {seconds:F0} s long; this runner transcribes at most {settings.MaxAudioSeconds:F0} s (RUNNER_MAX_AUDIO_SECONDS).");

        using var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        var recognizer = lease.Get<ISpeechRecognizer>();
        if (words && !recognizer.SupportsWordTimestamps)
            throw new BadInputException(WordTimestampLimits.NotSupported(model.ModelId));
        var options = new TranscriptionOptions(ReturnTimestamps: timestamps != TimestampMode.None, WordTimestamps: words);
        if (_vad is null)
            return await recognizer.TranscribeAsync(samples, options, cancellationToken).ConfigureAwait(false);

        using var vad = await models.AcquireAsync(new LeaseRequest(_vad, model.WhenBusy), cancellationToken).ConfigureAwait(false);
        return await recognizer.TranscribeSpeechOnlyAsync(vad.Get<SileroVad>(), samples, options, null, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The contract's <c>return_timestamps</c> modes.</summary>
public enum TimestampMode
{
    None,
    Segment,
    Word,
}
