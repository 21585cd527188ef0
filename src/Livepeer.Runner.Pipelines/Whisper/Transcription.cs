namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>How to transcribe one request (shared by the speech-recognition families; each reads what it has).</summary>
/// <param name="ReturnTimestamps">Segment timestamps (the contract's <c>return_timestamps</c> true/sentence).</param>
/// <param name="WordTimestamps">With <paramref name="ReturnTimestamps"/>: one chunk per word instead (<c>word</c>).</param>
/// <param name="Language">Whisper: a language code (<c>en</c>) or token (<c>&lt;|en|&gt;</c>); null: the model's forced one, else detected.</param>
/// <param name="Task">Whisper: <c>transcribe</c> or <c>translate</c> (a key of <c>task_to_id</c>).</param>
/// <param name="MaxNewTokens">Tokens generated per window at most (ai-runner's HF pipeline uses 128); a family may cap it lower.</param>
public sealed record TranscriptionOptions(bool ReturnTimestamps = true, string? Language = null, string Task = "transcribe", int MaxNewTokens = 128, bool WordTimestamps = false);

/// <summary>The contract's <c>TextResponse</c> content: the full text and, with timestamps, its segments.</summary>
public sealed record Transcription(string Text, IReadOnlyList<TranscriptChunk> Chunks);

/// <summary>One segment, in seconds from the start of the whole file; the last one's end may be unknown.</summary>
public sealed record TranscriptChunk(double Start, double? End, string Text);

/// <summary>
/// What one 30 s window decoded to (for diagnostics and tests): its place in the file, the prompt and the generated ids;
/// in word mode also the start of every token of prompt + generated, in seconds from the window's start
/// (<see cref="CrossAttentionAlignment"/>; the first is 0). A token ends where the next one starts; the last generated
/// one, never fed back, has no end.
/// </summary>
internal sealed record WhisperWindowResult(int StartSample, int Samples, IReadOnlyList<int> Prompt, IReadOnlyList<int> Generated)
{
    public IReadOnlyList<double>? TokenStarts { get; init; }

    public double StartSeconds => StartSample / (double)LogMelSpectrogram.SampleRate;
    public double EndSeconds => (StartSample + Samples) / (double)LogMelSpectrogram.SampleRate;
}
