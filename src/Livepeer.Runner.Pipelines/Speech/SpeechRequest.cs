namespace Livepeer.Runner.Pipelines.Speech;

/// <summary>
/// What a voice is asked to say: the text, the contract's <c>description</c> (Parler-TTS's speaker prompt; a Kokoro
/// voice name; unused by espeak-ng) and, for a voice that samples, the seed that makes it reproducible (none: a random one).
/// </summary>
public sealed record SpeechRequest(string Text, string Description = "", long? Seed = null);
