using Livepeer.Runner.Models;

namespace Livepeer.Runner.Tests.Models;

/// <summary>What a pull takes by default: the files the engines read, one dtype, nothing else.</summary>
public sealed class FileSelectionTests
{
    /// <summary>The file list of an onnx-community Whisper export (as transformers.js publishes them), plus the PyTorch weights.</summary>
    private static readonly HubFile[] WhisperTree = Files(
        "config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "README.md", ".gitattributes",
        "model.safetensors", "pytorch_model.bin",
        "onnx/encoder_model.onnx", "onnx/encoder_model.onnx_data", "onnx/encoder_model_fp16.onnx", "onnx/encoder_model_q4.onnx",
        "onnx/decoder_model.onnx", "onnx/decoder_model_fp16.onnx", "onnx/decoder_with_past_model.onnx", "onnx/decoder_with_past_model_fp16.onnx",
        "onnx/decoder_model_merged.onnx", "onnx/decoder_model_merged_fp16.onnx", "onnx/decoder_model_merged_q4.onnx");

    private static HubFile[] Files(params string[] paths) => [.. paths.Select(p => new HubFile(p, 1, new string('a', 40), null))];

    private static List<string> Paths(Selection selection) => [.. selection.Files.Select(f => f.Path)];

    [Fact]
    public void Default_TakesConfigsAndTheFp32GraphsWithTheirDataAndTheMergedDecoderOnly()
    {
        var selection = FileSelection.Select(WhisperTree, [], "fp32");

        Assert.Equal(["config.json", "generation_config.json", "onnx/decoder_model_merged.onnx", "onnx/encoder_model.onnx", "onnx/encoder_model.onnx_data",
            "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"], Paths(selection));
        Assert.Empty(selection.Aliases);
    }

    [Fact]
    public void Fp16_TakesTheFp16GraphsAndLinksThemUnderThePlainNames()
    {
        var selection = FileSelection.Select(WhisperTree, [], "fp16");

        Assert.Contains("onnx/encoder_model_fp16.onnx", Paths(selection));
        Assert.Contains("onnx/decoder_model_merged_fp16.onnx", Paths(selection));
        Assert.DoesNotContain("onnx/encoder_model.onnx", Paths(selection));
        Assert.DoesNotContain("onnx/decoder_model_fp16.onnx", Paths(selection));
        Assert.Equal("onnx/encoder_model_fp16.onnx", selection.Aliases["onnx/encoder_model.onnx"]);
        Assert.Equal("onnx/decoder_model_merged_fp16.onnx", selection.Aliases["onnx/decoder_model_merged.onnx"]);
    }

    [Fact]
    public void AGraphWithoutTheAskedDtype_IsTakenInFp32WithANote()
    {
        var selection = FileSelection.Select(Files("config.json", "unet/model.onnx", "unet/model.onnx_data", "text_encoder/model.onnx", "text_encoder/model_fp16.onnx"), [], "fp16");

        Assert.Equal(["config.json", "text_encoder/model_fp16.onnx", "unet/model.onnx", "unet/model.onnx_data"], Paths(selection));
        Assert.Contains("unet/model.onnx: no fp16 file of this graph; taking fp32", selection.Notes);
    }

    [Fact]
    public void Includes_AreFnmatchGlobsWhereStarCrossesFolders()
    {
        Assert.Equal(["onnx/encoder_model_q4.onnx", "onnx/decoder_model_merged_q4.onnx"], Paths(FileSelection.Select(WhisperTree, ["*_q4.onnx"], "fp32")));
        Assert.Equal(11, FileSelection.Select(WhisperTree, ["onnx/"], "fp32").Files.Count);
        Assert.Equal(["config.json"], Paths(FileSelection.Select(WhisperTree, ["c?nfig.json"], "fp32")));
    }
}
