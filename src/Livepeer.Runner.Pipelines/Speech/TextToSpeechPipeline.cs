using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>/text-to-speech: bound the text (a 400 before any model is touched), speak it under a lease, and write the WAV.</summary>
public sealed class TextToSpeechPipeline(ModelManager models, RunnerSettings settings)
{
    public async Task<byte[]> RunAsync(LeaseRequest model, SpeechRequest request, CancellationToken cancellationToken)
    {
        if (request.Text.Length > settings.TtsMaxChars)
            throw new BadInputException(
                $"Text input is {request.Text.Length} characters long; this runner speaks at most {settings.TtsMaxChars} (RUNNER_TTS_MAX_CHARS).");

        MonoAudio audio;
        using (var lease = await models.AcquireAsync(model, cancellationToken).ConfigureAwait(false))
            audio = await lease.Get<ISpeechVoice>().SpeakAsync(request, cancellationToken).ConfigureAwait(false);
        return WavWriter.Mono16(audio);
    }
}
