using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// <c>safety_checker/model.onnx</c> as the legacy diffusers script exports it (MODEL-FORMATS §1.2): <c>clip_input</c>
/// (the image through <see cref="ClipImageProcessor"/>) and <c>images</c> (NHWC in [0, 1]) → <c>out_images</c>,
/// <c>has_nsfw_concepts</c>. Like diffusers' ONNX pipeline it runs one image at a time; a flagged image is blacked
/// out (every byte 0), which is what the graph's <c>out_images</c> holds for it.
/// </summary>
public sealed class SafetyChecker : IDisposable
{
    internal const string ClipInput = "clip_input";
    internal const string Images = "images";
    internal const string Flags = "has_nsfw_concepts";

    private readonly string _modelId;
    private readonly InferenceSession _session;

    public SafetyChecker(string modelId, InferenceSession session, ClipImageProcessor processor)
    {
        _modelId = modelId;
        _session = session;
        Processor = processor;
        foreach (var input in new[] { ClipInput, Images })
        {
            if (!session.InputMetadata.ContainsKey(input))
                throw new ModelLoadException(modelId, $"The safety checker of {modelId} has no '{input}' input.");
        }

        if (!session.OutputMetadata.ContainsKey(Flags))
            throw new ModelLoadException(modelId, $"The safety checker of {modelId} has no '{Flags}' output.");
    }

    public ClipImageProcessor Processor { get; }

    /// <summary>Checks one image; when it is flagged, blacks it out in place and returns true.</summary>
    public bool Check(RgbImage image, CancellationToken cancellationToken)
    {
        var clip = Processor.Process(image);
        var (clipHeight, clipWidth) = Processor.OutputSize(image.Width, image.Height);
        var pixels = image.Pixels;
        var unit = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
            unit[i] = pixels[i] / 255f;

        using var clipValue = OrtValue.CreateTensorValueFromMemory(clip, [1, 3, clipHeight, clipWidth]);
        using var imageValue = OrtValue.CreateTensorValueFromMemory(unit, [1, image.Height, image.Width, 3]);
        using var results = OnnxRun.Run(_session, [ClipInput, Images], [clipValue, imageValue], [Flags], cancellationToken);
        var flags = results[0].GetTensorDataAsSpan<bool>();
        if (flags.Length != 1)
            throw new InferenceException($"The safety checker of {_modelId} gave {flags.Length} flags for one image.");
        if (!flags[0])
            return false;
        Array.Clear(pixels);
        return true;
    }

    public void Dispose() => _session.Dispose();
}
