using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Diffusion.Transformers;
using Livepeer.Runner.Testing;
using static Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers.TransformerFixtures;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Transformers;

/// <summary>Folders that are not quite a Flux or SD3 export: refused at load with what is wrong, or served as diffusers would.</summary>
public sealed class TransformerLoadTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("transformer-load-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private string Copy(string fixture)
    {
        var target = Path.Combine(_scratch, fixture);
        TestPaths.CopyTree(Folder(fixture), target);
        return target;
    }

    private static Task<TransformerDiffusionModel> Load(string folder) => TransformerDiffusionModel.LoadAsync("test/model", folder, Sessions);

    [Fact]
    public async Task Sd3WithoutT5_RunsWithZerosInItsPlace()
    {
        var folder = Copy(Sd3);
        Directory.Delete(Path.Combine(folder, "text_encoder_3"), recursive: true);
        Directory.Delete(Path.Combine(folder, "tokenizer_3"), recursive: true);
        using var model = await Load(folder);
        var request = Request("a red fox | a red fox | a blue whale");

        using var generator = new FlowGenerator(model, request, CancellationToken.None);
        var withoutT5 = generator.Generate(7, CancellationToken.None);
        var withT5 = await GenerateAsync(Sd3, request, seed: 7);

        Assert.Null(model.T5);
        Assert.Equal((64, 48), (withoutT5.Width, withoutT5.Height));
        Assert.NotEqual(withT5.Pixels, withoutT5.Pixels);
    }

    [Fact]
    public async Task FluxTransformerWithSd3Encoders_IsRefused()
    {
        var folder = Copy(Schnell);
        // SD3's second CLIP where Flux has T5, and a text_encoder_3 folder: SD3's layout around a Flux transformer.
        Directory.Delete(Path.Combine(folder, "tokenizer_2"), recursive: true);
        TestPaths.CopyTree(Path.Combine(folder, "tokenizer"), Path.Combine(folder, "tokenizer_2"));
        Directory.CreateDirectory(Path.Combine(folder, "text_encoder_3"));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Load(folder));
        Assert.Contains("has SD3's text encoders but a Flux transformer", error.Message);
    }

    [Fact]
    public async Task BlackForestLabsFolderWithOnlyTheQuantizedTransformers_IsRefusedSayingWhy()
    {
        var folder = Copy(SchnellBfl);
        Directory.Move(Path.Combine(folder, "transformer.opt", "bf16"), Path.Combine(folder, "transformer.opt", "fp8"));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Load(folder));
        Assert.Contains("has no transformer.opt/bf16/model.onnx (it has fp8): the fp8 and fp4 transformers are quantized for TensorRT", error.Message);
    }

    [Fact]
    public async Task BlackForestLabsFolderWithoutTheDiffusersSideFiles_SaysWhatIsMissing()
    {
        var folder = Copy(SchnellBfl);
        Directory.Delete(Path.Combine(folder, "tokenizer_2"), recursive: true);

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Load(folder));
        Assert.Contains("could not read the T5 tokenizer", error.Message);
    }

    [Fact]
    public async Task ASchedulerOtherThanFlowMatching_IsRefused()
    {
        var folder = Copy(Schnell);
        File.WriteAllText(Path.Combine(folder, "scheduler", "scheduler_config.json"), """{"_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000}""");

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Load(folder));
        Assert.Contains("its scheduler is 'EulerDiscreteScheduler'", error.Message);
    }

    [Theory]
    [InlineData("text_encoder_2/model.onnx", "lacks text_encoder_2/model.onnx")]
    [InlineData("tokenizer_2/tokenizer.json", "could not read the T5 tokenizer")]
    public async Task AMissingPart_IsNamed(string file, string message)
    {
        var folder = Copy(Schnell);
        File.Delete(Path.Combine(folder, file));

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Load(folder));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task ACorruptTransformerConfig_IsALoadError()
    {
        var folder = Copy(Schnell);
        File.WriteAllText(Path.Combine(folder, "transformer", "config.json"), "{ not json");

        var error = await Assert.ThrowsAsync<ModelLoadException>(() => Load(folder));
        Assert.Contains("transformer/config.json", error.Message.Replace('\\', '/'));
    }
}
