namespace Livepeer.Runner.Core;

/// <summary>The batch pipelines of the ai-runner contract, spelled as go-livepeer spells them.</summary>
public static class PipelineNames
{
    public const string TextToImage = "text-to-image";
    public const string ImageToImage = "image-to-image";
    public const string ImageToVideo = "image-to-video";
    public const string Upscale = "upscale";
    public const string AudioToText = "audio-to-text";
    public const string SegmentAnything2 = "segment-anything-2";
    public const string Llm = "llm";
    public const string ImageToText = "image-to-text";
    public const string TextToSpeech = "text-to-speech";

    /// <summary>Every pipeline this runner serves, in the contract's order.</summary>
    public static IReadOnlyList<string> Batch { get; } =
    [
        TextToImage, ImageToImage, ImageToVideo, Upscale, AudioToText,
        SegmentAnything2, Llm, ImageToText, TextToSpeech,
    ];

    /// <summary>Pipelines go-livepeer knows but a batch runner does not serve.</summary>
    public static IReadOnlyList<string> Unsupported { get; } = ["live-video-to-video", "frame-interpolation"];

    public static bool IsBatch(string name) => Batch.Contains(name, StringComparer.Ordinal);
}
