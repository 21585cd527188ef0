using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>
/// The safety checker of the sd15-safety fixture (models/tiny/README.md: flagged when the mean CLIP-normalised value
/// is above 0.18, i.e. uniform grey 127 and brighter) and the CLIP preprocessing in front of it.
/// </summary>
public sealed class SafetyCheckerTests
{
    private static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    private static RgbImage Uniform(int width, int height, byte value)
    {
        var image = new RgbImage(width, height);
        Array.Fill(image.Pixels, value);
        return image;
    }

    private static async Task<SafetyChecker> CheckerAsync() =>
        (await DiffusionFixtures.LoadAsync("sd15-safety")).SafetyChecker ?? throw new InvalidOperationException("sd15-safety has no safety checker");

    [Fact]
    public async Task OnlyTheFolderWithASafetyChecker_LoadsOne()
    {
        Assert.NotNull((await DiffusionFixtures.LoadAsync("sd15-safety")).SafetyChecker);
        Assert.Null((await DiffusionFixtures.LoadAsync("sd15")).SafetyChecker);
    }

    [Fact]
    public async Task BrightImage_IsFlagged_AndBlackedOut()
    {
        var checker = await CheckerAsync();
        var image = Uniform(64, 48, 200);
        image.Pixels[7] = 255;

        Assert.True(checker.Check(image, CancellationToken.None));
        Assert.All(image.Pixels, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task DarkImage_IsClean_AndUntouched()
    {
        var checker = await CheckerAsync();
        var image = DiffusionFixtures.Gradient(64, 48);
        Array.Fill(image.Pixels, (byte)20, 0, 30);
        var before = image.Pixels.ToArray();

        Assert.False(checker.Check(image, CancellationToken.None));
        Assert.Equal(before, image.Pixels);
    }

    [Theory]
    [InlineData(126, false)]
    [InlineData(127, true)]
    public async Task Threshold_LiesBetweenGrey126And127(byte grey, bool flagged)
    {
        var checker = await CheckerAsync();
        Assert.Equal(flagged, checker.Check(Uniform(40, 56, grey), CancellationToken.None));
    }

    [Fact]
    public async Task GeneratedImages_AreCheckedOneByOne_WithTheSeedDecidingHere()
    {
        // The tiny sd15 images are near grey 125; these two seeds fall on either side of the threshold.
        var model = await DiffusionFixtures.LoadAsync("sd15-safety");
        var request = new DiffusionRequest(["a photo of a cat", "watercolor"], [], 64, 48, 7.5, 3);
        await DiffusionFixtures.Turn(model).WaitAsync();
        try
        {
            using var generator = new DiffusionGenerator(model, request, CancellationToken.None);
            var flagged = generator.Generate(2, CancellationToken.None);
            var clean = generator.Generate(4, CancellationToken.None);
            var cleanBefore = clean.Pixels.ToArray();

            Assert.True(model.SafetyChecker!.Check(flagged, CancellationToken.None));
            Assert.All(flagged.Pixels, b => Assert.Equal(0, b));
            Assert.False(model.SafetyChecker.Check(clean, CancellationToken.None));
            Assert.Equal(cleanBefore, clean.Pixels);
        }
        finally
        {
            DiffusionFixtures.Turn(model).Release();
        }
    }

    [Fact]
    public void Processor_FromTheFixtureConfig_IsClipsDefaults()
    {
        var loaded = ClipImageProcessor.Load(Path.Combine(DiffusionFixtures.Folder("sd15-safety"), "feature_extractor", "preprocessor_config.json"));
        var defaults = ClipImageProcessor.Load(Path.Combine(DiffusionFixtures.Folder("sd15-safety"), "no-such-file.json"));

        foreach (var processor in new[] { loaded, defaults })
        {
            Assert.Equal((224, true, true, 224, 224), (processor.ShortestEdge, processor.DoResize, processor.DoCenterCrop, processor.CropHeight, processor.CropWidth));
            Assert.Equal(1f / 255f, processor.RescaleFactor, 1e-9f);
            Assert.Equal(Mean, processor.Mean);
            Assert.Equal(Std, processor.Std);
        }
    }

    [Theory]
    [InlineData(64, 48)]
    [InlineData(300, 224)]
    [InlineData(224, 500)]
    public void Processor_GivesA224SquareInClipsNormalisation(int width, int height)
    {
        var processor = new ClipImageProcessor();
        var clip = processor.Process(Uniform(width, height, 128));

        Assert.Equal((224, 224), processor.OutputSize(width, height));
        Assert.Equal(3 * 224 * 224, clip.Length);
        // A uniform image stays uniform through resize and crop: each plane is (128/255 − mean) / std.
        for (var c = 0; c < 3; c++)
        {
            var expected = ((128f / 255f) - Mean[c]) / Std[c];
            Assert.All(clip.AsSpan(c * 224 * 224, 224 * 224).ToArray(), v => Assert.Equal(expected, v, 1e-5f));
        }
    }

    [Fact]
    public void Processor_ResizesTheShortSide_AndCropsTheCentre()
    {
        // 448×224: the short side is already 224, so only the crop applies, taking columns 112..335 (transformers'
        // offset (448 − 224) // 2). Left half black, right half white: the crop's columns 0..111 are black.
        var image = new RgbImage(448, 224);
        for (var y = 0; y < 224; y++)
            Array.Fill(image.Pixels, (byte)255, ((y * 448) + 224) * 3, 224 * 3);
        var processor = new ClipImageProcessor();

        var clip = processor.Process(image);

        var black = (0f - Mean[0]) / Std[0];
        var white = (1f - Mean[0]) / Std[0];
        Assert.Equal(black, clip[(10 * 224) + 111], 1e-5f);
        Assert.Equal(white, clip[(10 * 224) + 112], 1e-5f);
    }

    [Fact]
    public void Processor_Downscales_WithPilsBicubic()
    {
        // 896×448 halves to 448×224 and is cropped to its centre: PIL's antialiased bicubic (kernel widened ×2) turns
        // 100/200 column stripes into their average, 150, instead of sampling one colour.
        var stripes = new RgbImage(896, 448);
        for (var i = 0; i < stripes.Pixels.Length; i += 3)
        {
            var x = i / 3 % 896;
            Array.Fill(stripes.Pixels, (byte)(x % 2 == 0 ? 100 : 200), i, 3);
        }

        var clip = new ClipImageProcessor().Process(stripes);

        var expected = ((150f / 255f) - Mean[1]) / Std[1];
        var green = clip.AsSpan(224 * 224, 224 * 224).ToArray();
        Assert.All(green[(5 * 224)..(220 * 224)], v => Assert.Equal(expected, v, 0.02f));
    }
}
