using Livepeer.Runner.Pipelines.Diffusion.Transformers;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers.TransformerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers;

/// <summary>Flux and SD3 generation on the tiny fixtures: what each input changes, and what it must not.</summary>
public sealed class FlowGenerationTests
{
    [Theory]
    [InlineData(Schnell, TransformerFamily.Flux, false, 256, 4)]
    [InlineData(Dev, TransformerFamily.Flux, true, 512, 28)]
    [InlineData(Sd3, TransformerFamily.StableDiffusion3, false, 256, 28)]
    public async Task Load_ReadsTheFamilyAndItsDefaults(string fixture, TransformerFamily family, bool guidance, int t5Length, int steps)
    {
        var model = await LoadAsync(fixture);

        Assert.Equal(family, model.Family);
        Assert.Equal(guidance, model.Transformer.HasGuidance);
        Assert.Equal(t5Length, model.T5Length);
        Assert.Equal(steps, model.DefaultSteps);
        Assert.Equal(16, model.Vae.LatentChannels);
        Assert.NotEqual(0f, model.Vae.ShiftFactor);
    }

    [Theory]
    [InlineData(Schnell)]
    [InlineData(Dev)]
    [InlineData(Sd3)]
    public async Task Generate_IsTheRequestedSize_AndTheSameForTheSameSeed(string fixture)
    {
        var first = await GenerateAsync(fixture, Request(width: 72, height: 40), seed: 11);
        var again = await GenerateAsync(fixture, Request(width: 72, height: 40), seed: 11);
        var other = await GenerateAsync(fixture, Request(width: 72, height: 40), seed: 12);

        Assert.Equal((72, 40), (first.Width, first.Height));
        Assert.Equal(first.Pixels, again.Pixels);
        Assert.NotEqual(first.Pixels, other.Pixels);
    }

    [Theory]
    [InlineData(Schnell)]
    [InlineData(Sd3)]
    public async Task SecondPrompt_ReachesTheSecondEncoder_AndDefaultsToTheFirst(string fixture)
    {
        var one = await GenerateAsync(fixture, Request("a red fox"));
        var same = await GenerateAsync(fixture, Request("a red fox | a red fox"));
        var other = await GenerateAsync(fixture, Request("a red fox | a blue whale"));

        Assert.Equal(one.Pixels, same.Pixels);
        Assert.NotEqual(one.Pixels, other.Pixels);
    }

    [Fact]
    public async Task Sd3_ThirdPrompt_ReachesT5()
    {
        var one = await GenerateAsync(Sd3, Request("a red fox | a red fox"));
        var other = await GenerateAsync(Sd3, Request("a red fox | a red fox | a blue whale"));

        Assert.NotEqual(one.Pixels, other.Pixels);
    }

    [Fact]
    public async Task Dev_GuidanceIsAnInput_SchnellHasNone()
    {
        var devLow = await GenerateAsync(Dev, Request(guidance: 1.0));
        var devHigh = await GenerateAsync(Dev, Request(guidance: 6.0));
        var schnellLow = await GenerateAsync(Schnell, Request(guidance: 1.0));
        var schnellHigh = await GenerateAsync(Schnell, Request(guidance: 6.0));

        Assert.NotEqual(devLow.Pixels, devHigh.Pixels);
        Assert.Equal(schnellLow.Pixels, schnellHigh.Pixels);
    }

    [Fact]
    public async Task Sd3_NegativePrompt_SteersGuidance_AndIsUnusedWithoutIt()
    {
        var plain = await GenerateAsync(Sd3, Request(guidance: 5.0));
        var negative = await GenerateAsync(Sd3, Request(guidance: 5.0, negative: ["blurry"]));
        var unguided = await GenerateAsync(Sd3, Request(guidance: 1.0));
        var unguidedNegative = await GenerateAsync(Sd3, Request(guidance: 1.0, negative: ["blurry"]));

        Assert.NotEqual(plain.Pixels, negative.Pixels);
        Assert.NotEqual(plain.Pixels, unguided.Pixels);
        Assert.Equal(unguided.Pixels, unguidedNegative.Pixels);
    }

    [Theory]
    [InlineData(Schnell)]
    [InlineData(Sd3)]
    public async Task ImageToImage_KeepsTheInputsSize_AndStrengthMatters(string fixture)
    {
        var input = DiffusionFixtures.Gradient(56, 40);
        var light = await GenerateAsync(fixture, Request(steps: 4, image: input, strength: 0.5));
        var strong = await GenerateAsync(fixture, Request(steps: 4, image: input, strength: 1.0));

        Assert.Equal((56, 40), (light.Width, light.Height));
        Assert.NotEqual(light.Pixels, strong.Pixels);
    }

    [Fact]
    public async Task Steps_OverTheTrainingTimesteps_IsAnInferenceError()
    {
        var error = await Assert.ThrowsAsync<Core.Errors.InferenceException>(() => GenerateAsync(Schnell, Request(steps: 1001)));
        Assert.Contains("num_inference_steps must be between 1 and 1000", error.Message);
    }

    [Fact]
    public async Task BlackForestLabsLayout_LoadsWithItsNames_AndGivesTheOptimumExportsImage()
    {
        var model = await LoadAsync(SchnellBfl);
        var bfl = await GenerateAsync(SchnellBfl, Request());
        var optimum = await GenerateAsync(Schnell, Request());

        // clip.opt / t5.opt / transformer.opt/bf16 / vae.opt, int32 ids, a fixed 256-token T5, bf16 at the transformer.
        Assert.Equal(TransformerFamily.Flux, model.Family);
        Assert.Equal(256, model.T5Length);
        Assert.Equal(typeof(BFloat16), model.Transformer.InputType("hidden_states"));
        Assert.Equal(typeof(BFloat16), model.Transformer.OutputType);
        Assert.False(model.Vae.UnitRange); // its decoder takes `latent` but is not TAESD
        // The same weights behind bfloat16 transformer inputs and outputs: 8-bit mantissas there, so close, not equal.
        Assert.InRange(ImageMetrics.Psnr(optimum.Pixels, bfl.Pixels), 30, double.PositiveInfinity);
    }
}
