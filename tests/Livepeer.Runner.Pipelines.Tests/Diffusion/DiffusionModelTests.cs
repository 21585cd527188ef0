using Livepeer.Runner.Pipelines.Diffusion;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion;

/// <summary>Loading the diffusers folders: family and dialect from the files and graphs; CLIP tokenization from the model's own files.</summary>
public sealed class DiffusionModelTests
{
    [Theory]
    [InlineData("sd15", DiffusionFamily.StableDiffusion)]
    [InlineData("sd15-legacy", DiffusionFamily.StableDiffusion)]
    [InlineData("sdxl", DiffusionFamily.StableDiffusionXl)]
    [InlineData("sdxl-lightning", DiffusionFamily.StableDiffusionXl)]
    [InlineData("instruct-pix2pix", DiffusionFamily.InstructPix2Pix)]
    public async Task Fixture_IsRecognisedAsItsFamily(string fixture, DiffusionFamily family)
    {
        var model = await DiffusionFixtures.LoadAsync(fixture);
        Assert.Equal(family, model.Family);
    }

    [Theory]
    [InlineData("sd15", typeof(float), 0)]
    [InlineData("sd15-legacy", typeof(long), 1)]
    public async Task TimestepDialect_IsReadFromTheGraph(string fixture, Type type, int rank)
    {
        var model = await DiffusionFixtures.LoadAsync(fixture);
        Assert.Equal((type, rank), (model.Unet.TimestepType, model.Unet.TimestepRank));
    }

    [Theory]
    [InlineData("sd15", 0.18215f)]
    [InlineData("sdxl", 0.13025f)]
    public async Task VaeScalingFactor_ComesFromTheDecoderConfig(string fixture, float scaling)
    {
        var model = await DiffusionFixtures.LoadAsync(fixture);
        Assert.Equal(scaling, model.Vae.ScalingFactor);
        Assert.Equal(8, model.Vae.DownFactor);
    }

    [Fact]
    public void Tokenizer_WrapsInBosEosAndPadsWithEos()
    {
        var tokenizer = ClipTokenizer.Load("sd15", Path.Combine(DiffusionFixtures.Folder("sd15"), "tokenizer"));
        var ids = tokenizer.Encode("A photo of  a CAT");

        Assert.Equal((685, 686, 686), (tokenizer.BosId, tokenizer.EosId, tokenizer.PadId));
        Assert.Equal(77, ids.Length);
        // "a</w>" 320, "photo</w>" 665, "of</w>" 521, "cat</w>" 585 in the fixture's vocabulary.
        Assert.Equal([685, 320, 665, 521, 320, 585, 686, 686], ids[..8]);
        Assert.All(ids[6..], id => Assert.Equal(686, id));
    }

    [Fact]
    public void SdxlSecondTokenizer_PadsWithItsOwnPadToken()
    {
        var tokenizer = ClipTokenizer.Load("sdxl", Path.Combine(DiffusionFixtures.Folder("sdxl"), "tokenizer_2"));
        var ids = tokenizer.Encode("a cat");

        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal([685, 320, 585, 686, 0], ids[..5]);
        Assert.All(ids[4..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void LongPrompt_IsTruncatedTo77WithEosLast()
    {
        var tokenizer = ClipTokenizer.Load("sd15", Path.Combine(DiffusionFixtures.Folder("sd15"), "tokenizer"));
        var ids = tokenizer.Encode(string.Join(' ', Enumerable.Repeat("cat", 100)));

        Assert.Equal(77, ids.Length);
        Assert.Equal(685, ids[0]);
        Assert.Equal(686, ids[^1]);
        Assert.All(ids[1..^1], id => Assert.Equal(585, id));
    }

    [Theory]
    [InlineData("a cat", new[] { "a cat" })]
    // Python str.split("|", 3): the empty third part is dropped after the split, not before.
    [InlineData(" a | b |  | c | d | e ", new[] { "a", "b", "c | d | e" })]
    [InlineData("|", new string[0])]
    public void PromptSplit_FollowsTheContract(string text, string[] expected) =>
        Assert.Equal(expected, DiffusionRequest.SplitPrompt(text));
}
