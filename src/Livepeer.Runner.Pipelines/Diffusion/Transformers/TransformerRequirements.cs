using Livepeer.Runner.Pipelines.Checks;
using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// What <see cref="TransformerDiffusionModel.LoadAsync"/> reads from a Flux or SD3 folder, in the names its parts use:
/// <see cref="DiffusionTransformer"/>, <see cref="ClipTextEncoder"/>, <see cref="T5TextEncoder"/>, <see cref="DiffusionVae"/>.
/// </summary>
internal static class TransformerRequirements
{
    public static ModelRequirements Of(string location)
    {
        var layout = TransformerLayout.Of(location) ?? TransformerLayout.Optimum;
        var isSd3 = TransformerDiffusionModel.IsSd3Folder(location);
        var t5Graph = Slashed(isSd3 ? layout.TextEncoder3! : layout.TextEncoder2);
        var t5Tokenizer = isSd3 ? "tokenizer_3" : "tokenizer_2";
        // SD3 runs without its T5 (zeros in its place), as diffusers allows; Flux cannot.
        var hasT5 = !isSd3 || Directory.Exists(Path.Combine(location, Path.GetDirectoryName(layout.TextEncoder3!)!));
        List<FileNeed> files =
        [
            FileNeed.Of("the pipeline's components", "model_index.json"),
            FileNeed.Of("the scheduler", "scheduler/scheduler_config.json"),
            FileNeed.Of("the CLIP tokenizer's vocabulary", "tokenizer/vocab.json"),
            FileNeed.Of("the CLIP tokenizer's merges", "tokenizer/merges.txt"),
            .. hasT5 ? [FileNeed.Of("the T5 tokenizer", $"{t5Tokenizer}/tokenizer.json")] : Array.Empty<FileNeed>(),
        ];
        var floatInput = (string name) => Named(name, FloatTypes);
        if (layout.IsBlackForestLabs)
            files.Add(FileNeed.Of("the VAE config (from the diffusers repository)", Slashed(layout.VaeConfig)));
        List<GraphNeed> graphs =
        [
            new("transformer", [Slashed(layout.Transformer)],
                [floatInput(DiffusionTransformer.HiddenStates), floatInput(DiffusionTransformer.EncoderHiddenStates),
                 floatInput(DiffusionTransformer.PooledProjections), floatInput(DiffusionTransformer.Timestep),
                 .. isSd3 ? [] : (TensorNeed[])[Named(DiffusionTransformer.ImageIds, "Int64", "Float"), Named(DiffusionTransformer.TextIds, "Int64", "Float")]],
                []),
            new("CLIP text encoder", [Slashed(layout.TextEncoder)], [Named(ClipTextEncoder.InputIds, IdTypes)],
                [isSd3 ? Named("text_embeds") : Names(ClipTextEncoder.PoolerOutputs)]),
            new("T5 encoder", [t5Graph], [Named(T5TextEncoder.InputIds, IdTypes)], [], Optional: !hasT5),
            new("VAE decoder", [Slashed(layout.VaeDecoder)], [new(DiffusionVae.DecoderInputs, FloatTypes)], []),
            new("VAE encoder", [Slashed(layout.VaeEncoder)], [new(DiffusionVae.EncoderInputs, FloatTypes)], [Names(DiffusionVae.EncoderOutputs)], Optional: true),
        ];
        if (isSd3)
        {
            files.Add(FileNeed.Of("the second CLIP tokenizer's vocabulary", "tokenizer_2/vocab.json"));
            files.Add(FileNeed.Of("the second CLIP tokenizer's merges", "tokenizer_2/merges.txt"));
            graphs.Insert(2, new GraphNeed("second CLIP text encoder", ["text_encoder_2/model.onnx"], [Named(ClipTextEncoder.InputIds, IdTypes)], [Named("text_embeds")]));
        }

        var family = DiffusionRequirements.ClassName(Path.Combine(location, "model_index.json")) ?? (isSd3 ? "StableDiffusion3Pipeline" : "FluxPipeline");
        return new ModelRequirements(family, files, graphs);
    }

    private static string Slashed(string path) => path.Replace('\\', '/');
}
