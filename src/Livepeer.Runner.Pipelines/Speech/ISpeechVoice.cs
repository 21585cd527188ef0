using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>A loaded text-to-speech model as the pipeline leases it: a request in, mono audio out.</summary>
public interface ISpeechVoice : IDisposable
{
    Task<MonoAudio> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken);
}
