using Livepeer.Runner.Pipelines.Captioning;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Captioning;

/// <summary>
/// BlipImageProcessor on the shared chelsea.png (451×300 RGB) against values from
/// <c>scripts/reference/blip_preprocess.py</c>: plain Python (its own PNG reader, a line-by-line port of Pillow's
/// Resample.c bicubic in 22-bit fixed point, transformers' float64 rescale then float32 normalise), run with
/// <c>python3 scripts/reference/blip_preprocess.py ../shared/assets/images/chelsea.png</c>.
/// </summary>
public sealed class BlipImageProcessorTests
{
    private static readonly Lazy<RgbImage> Chelsea = new(() => ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "chelsea.png")), 1L << 24));

    [Fact]
    public void Load_TheFixtureConfig_Is384SquareWithClipNormalisation()
    {
        var processor = BlipImageProcessor.Load(TestPaths.Model("tiny", "blip", "preprocessor_config.json"));

        Assert.Equal((384, 384, true, true, true), (processor.Height, processor.Width, processor.DoResize, processor.DoRescale, processor.DoNormalize));
        Assert.Equal(1.0 / 255.0, processor.RescaleFactor, 1e-15);
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], processor.Mean);
        Assert.Equal([0.26862954f, 0.26130258f, 0.27577711f], processor.Std);
    }

    [Fact]
    public void Load_AnotherResampleFilter_IsRefused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"blip-bilinear-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"resample": 2, "size": {"height": 384, "width": 384}}""");
        try
        {
            Assert.Throws<InvalidDataException>(() => BlipImageProcessor.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0, 0, 0, 0.2953125238418579f)]
    [InlineData(1, 0, 383, -1.3468873500823975f)]
    [InlineData(2, 383, 0, -0.49903517961502075f)]
    [InlineData(0, 383, 383, 0.5726826190948486f)]
    [InlineData(0, 100, 200, 1.0982259511947632f)]
    [InlineData(1, 191, 57, 0.4240293502807617f)]
    [InlineData(2, 250, 300, 0.24040821194648743f)]
    [InlineData(1, 37, 141, -0.4764367938041687f)]
    public void Process_Chelsea_MatchesTheReferencePixels(int channel, int y, int x, float expected)
    {
        var pixels = new BlipImageProcessor().Process(Chelsea.Value);

        Assert.Equal(3 * 384 * 384, pixels.Length);
        // Same bytes, same float32 steps: equal to the last bit.
        Assert.Equal(expected, pixels[(channel * 384 * 384) + (y * 384) + x]);
    }

    [Fact]
    public void Resize_Chelsea_EqualsPillowOnEveryByte()
    {
        var resized = PilResize.Resize(Chelsea.Value, 384, 384);

        // The reference's checksums of the 384×384×3 bytes: their sum and Σ (i + 1)·byte mod 2³¹.
        long sum = 0, weighted = 0;
        for (var i = 0; i < resized.Pixels.Length; i++)
        {
            sum += resized.Pixels[i];
            weighted = (weighted + ((i + 1L) * resized.Pixels[i])) % (1L << 31);
        }

        Assert.Equal((51006980L, 984466137L), (sum, weighted));
    }

    [Fact]
    public void Process_AUniformImage_StaysUniform()
    {
        var image = new RgbImage(640, 200);
        Array.Fill(image.Pixels, (byte)200);

        var pixels = new BlipImageProcessor().Process(image);

        var expected = ((float)(200 / 255.0) - 0.4578275f) / 0.26130258f;
        Assert.All(pixels.AsSpan(384 * 384, 384 * 384).ToArray(), v => Assert.Equal(expected, v));
    }
}
