using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Segmentation;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Pipelines.Tests.Segmentation;

/// <summary>Which folders load: graphs are told apart by their inputs and outputs, whatever the files are called.</summary>
public sealed class SegmentationModelLoadTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("segmentation-load-");

    private string Copy(string fixtureFile, string asName)
    {
        var target = Path.Combine(_folder.FullName, asName);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(TestPaths.Model("tiny", fixtureFile), target);
        return target;
    }

    private SegmentationModel Load() => SegmentationModel.Load("test-model", _folder.FullName, MiniSamFixture.Sessions);

    [Fact]
    public void RenamedGraphs_AreStillRecognised()
    {
        Copy("sam2/encoder.onnx", "a.onnx");
        Copy("sam2/decoder.onnx", "b.onnx");

        using var model = Load();

        Assert.Equal(SegmentationDialect.Sam2, model.Dialect);
    }

    [Fact]
    public void DtypeVariants_LoadTheFullPrecisionGraphs()
    {
        foreach (var suffix in new[] { "", "_fp16", "_quantized" })
        {
            Copy("sam2-transformersjs/onnx/vision_encoder.onnx", $"onnx/vision_encoder{suffix}.onnx");
            Copy("sam2-transformersjs/onnx/prompt_encoder_mask_decoder.onnx", $"onnx/prompt_encoder_mask_decoder{suffix}.onnx");
        }

        Assert.Equal(
            [Path.Combine(_folder.FullName, "onnx", "prompt_encoder_mask_decoder.onnx"), Path.Combine(_folder.FullName, "onnx", "vision_encoder.onnx")],
            SamGraphs.CandidateFiles(_folder.FullName));
        using var model = Load();
        Assert.Equal(SegmentationDialect.Sam2TransformersJs, model.Dialect);
    }

    [Fact]
    public void DecoderWithoutItsEncoder_FailsToLoad()
    {
        Copy("sam2/decoder.onnx", "decoder.onnx");
        Copy("sam2-transformersjs/onnx/vision_encoder.onnx", "encoder.onnx"); // a SAM 2 encoder, but of other names

        var error = Assert.Throws<ModelLoadException>(Load);

        Assert.Equal("test-model", error.ModelId);
        Assert.Contains("image encoder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FolderOfOtherGraphs_FailsToLoad()
    {
        Copy("blip/encoder_model.onnx", "encoder_model.onnx");

        var error = Assert.Throws<ModelLoadException>(Load);

        Assert.Contains("prompt decoder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFolder_FailsToLoad()
    {
        Assert.Throws<ModelLoadException>(Load);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
