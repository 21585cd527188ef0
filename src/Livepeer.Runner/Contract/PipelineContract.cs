using Livepeer.Runner.Core;

namespace Livepeer.Runner.Contract;

/// <summary>
/// What differs from route to route in ai-runner's error handling (RUNNER-CONTRACT §1.2, §1.3, §1.6): the default
/// 500 message, the out-of-memory message, the punctuation of the auth and model-mismatch messages, and which of
/// 413/415 go-livepeer expects from the route.
/// </summary>
public sealed record PipelineContract(
    string Pipeline,
    string DefaultError,
    string OutOfMemoryError,
    bool AuthMessageHasPeriod,
    bool ModelMessageHasPeriod,
    bool Allows413 = false,
    bool Allows415 = false)
{
    public string Route => "/" + Pipeline;

    public string UnauthorizedMessage => AuthMessageHasPeriod ? "Invalid bearer token." : "Invalid bearer token";

    public string ModelMismatchMessage(string configured, string requested) =>
        $"pipeline configured with {configured} but called with {requested}" + (ModelMessageHasPeriod ? "." : "");

    private const string ReduceInputResolution = "Out of memory error. Try reducing input image resolution.";

    public static PipelineContract TextToImage { get; } =
        new(PipelineNames.TextToImage, "Text-to-image pipeline error.", "Out of memory error. Try reducing output image resolution.", true, true);

    public static PipelineContract ImageToImage { get; } =
        new(PipelineNames.ImageToImage, "Image-to-image pipeline error.", ReduceInputResolution, true, true);

    public static PipelineContract ImageToVideo { get; } =
        new(PipelineNames.ImageToVideo, "Image-to-video pipeline error.", "Out of memory error. Try reducing input or output video resolution.", true, true);

    public static PipelineContract Upscale { get; } =
        new(PipelineNames.Upscale, "Upscale pipeline error.", ReduceInputResolution, true, true);

    public static PipelineContract AudioToText { get; } =
        new(PipelineNames.AudioToText, "Audio-to-text pipeline error.", "GPU out of memory.", true, true, Allows413: true, Allows415: true);

    public static PipelineContract SegmentAnything2 { get; } =
        new(PipelineNames.SegmentAnything2, "Segment-anything-2 pipeline error.", ReduceInputResolution, true, true);

    /// <summary>/llm maps every failure past auth and model checks to one 500 message.</summary>
    public static PipelineContract Llm { get; } =
        new(PipelineNames.Llm, "Internal server error during LLM processing.", "Internal server error during LLM processing.", false, false);

    public static PipelineContract ImageToText { get; } =
        new(PipelineNames.ImageToText, "Image-to-text pipeline error.", ReduceInputResolution, false, false, Allows413: true);

    public static PipelineContract TextToSpeech { get; } =
        new(PipelineNames.TextToSpeech, "Text-to-speech pipeline error.", "Out of memory error. Try reducing text input length.", true, false);
}
