using System.Text.Json;
using Livepeer.Runner.Pipelines.Checks;
using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Diffusion;

/// <summary>
/// What <see cref="DiffusionModel.LoadAsync"/> reads from a diffusers folder (SD1.5-style, SDXL, instruct-pix2pix, the
/// x4 upscaler), in the names its parts use: <see cref="UnetModel"/>, <see cref="ClipTextEncoder"/>,
/// <see cref="DiffusionVae"/>, <see cref="SafetyChecker"/>.
/// </summary>
internal static class DiffusionRequirements
{
    /// <summary>Image-to-video folders share the layout but not this engine.</summary>
    private const string VideoPipeline = "StableVideoDiffusionPipeline";

    public static ModelRequirements? Of(string location)
    {
        var index = Path.Combine(location, "model_index.json");
        if (!File.Exists(index) || ClassName(index) == VideoPipeline)
            return null;

        var isXl = Directory.Exists(Path.Combine(location, "text_encoder_2"));
        List<FileNeed> files =
        [
            FileNeed.Of("the pipeline's components", "model_index.json"),
            FileNeed.Of("the scheduler", "scheduler/scheduler_config.json"),
            FileNeed.Of("the CLIP tokenizer's vocabulary", "tokenizer/vocab.json"),
            FileNeed.Of("the CLIP tokenizer's merges", "tokenizer/merges.txt"),
        ];
        List<GraphNeed> graphs =
        [
            new("text encoder", ["text_encoder/model.onnx"], [Named(ClipTextEncoder.InputIds, IdTypes)], isXl ? [] : [Named("last_hidden_state")]),
            new("UNet", ["unet/model.onnx"],
                [Named(UnetModel.Sample, FloatTypes), Named(UnetModel.Timestep), Named(UnetModel.EncoderHiddenStates, FloatTypes),
                 .. isXl ? (TensorNeed[])[Named(UnetModel.TextEmbeds, FloatTypes), Named(UnetModel.TimeIds, FloatTypes)] : []],
                []),
            new("VAE decoder", ["vae_decoder/model.onnx"], [new(DiffusionVae.DecoderInputs, FloatTypes)], []),
            new("VAE encoder", ["vae_encoder/model.onnx"], [new(DiffusionVae.EncoderInputs, FloatTypes)], [Names(DiffusionVae.EncoderOutputs)], Optional: true),
            new("safety checker", ["safety_checker/model.onnx"], All([SafetyChecker.ClipInput, SafetyChecker.Images]), All([SafetyChecker.Flags]), Optional: true),
        ];
        if (isXl)
        {
            files.Add(FileNeed.Of("the second CLIP tokenizer's vocabulary", "tokenizer_2/vocab.json"));
            files.Add(FileNeed.Of("the second CLIP tokenizer's merges", "tokenizer_2/merges.txt"));
            graphs.Insert(1, new GraphNeed("second text encoder", ["text_encoder_2/model.onnx"], [Named(ClipTextEncoder.InputIds, IdTypes)], [Named("text_embeds")]));
        }

        return new ModelRequirements(ClassName(index) ?? "diffusers", files, graphs);
    }

    /// <summary>model_index.json's <c>_class_name</c> (the pipeline class), or null when the file does not say.</summary>
    internal static string? ClassName(string modelIndex)
    {
        try
        {
            return ModelFolderJson.Read(modelIndex) is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("_class_name", out var name)
                ? name.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
