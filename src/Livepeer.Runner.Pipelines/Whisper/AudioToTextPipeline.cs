using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>/audio-to-text: decode the upload with ffmpeg (415 when it is not audio), then transcribe under a lease.</summary>
public sealed class AudioToTextPipeline(ModelManager models)
{
    private readonly AudioDecoder _decoder = new(new AudioDecoderOptions());

    /// <summary>
    /// ai-runner's <c>return_timestamps</c>, lower-cased: true/1/sentence give segment chunks, false/0 none. Word
    /// timestamps need cross-attention outputs that optimum's Whisper export does not have, so they are refused
    /// plainly; any other value is the model error ai-runner's HF pipeline would raise.
    /// </summary>
    public static bool ParseTimestamps(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "sentence" => true,
        "false" or "0" => false,
        "word" => throw new BadInputException("Word timestamps are not supported by this runner yet; use return_timestamps=true for segment timestamps."),
        var other => throw new InferenceException($"return_timestamps must be true, false, sentence or word, not '{other}'"),
    };

    public async Task<WhisperTranscription> RunAsync(ModelEntry model, byte[] audio, bool timestamps, CancellationToken cancellationToken)
    {
        float[] samples;
        using (var upload = new MemoryStream(audio, writable: false))
            samples = await _decoder.DecodeAsync(upload, cancellationToken).ConfigureAwait(false);

        using var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        return await lease.Get<WhisperModel>().TranscribeAsync(samples, new WhisperOptions(ReturnTimestamps: timestamps), cancellationToken).ConfigureAwait(false);
    }
}
