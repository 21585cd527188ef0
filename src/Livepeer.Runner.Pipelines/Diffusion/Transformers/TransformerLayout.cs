using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Transformers;

/// <summary>
/// Where a Flux or SD3 folder keeps its graphs and its VAE config, paths relative to the folder. Two layouts:
/// optimum's diffusers export (<c>transformer/</c>, <c>text_encoder/</c>, … each with <c>model.onnx</c>), and Black
/// Forest Labs' TensorRT repositories (<c>black-forest-labs/FLUX.1-*-onnx</c>: <c>clip.opt</c>, <c>t5.opt</c>,
/// <c>transformer.opt/bf16</c>, <c>vae.opt</c>, <c>vae_encoder.opt</c>), which carry no tokenizers, scheduler or
/// configs: those come from the diffusers repository of the same model, copied beside the graphs
/// (docs/diffusion-transformers.md). Black Forest Labs publish Flux only, so that layout has no SD3 <c>text_encoder_3</c>.
/// </summary>
public sealed record TransformerLayout(
    string Transformer,
    string TextEncoder,
    string TextEncoder2,
    string? TextEncoder3,
    string VaeDecoder,
    string VaeEncoder,
    string VaeConfig,
    bool IsBlackForestLabs)
{
    /// <summary>Black Forest Labs' transformer folder, one subfolder per precision.</summary>
    private const string BflTransformers = "transformer.opt";

    /// <summary>The precision ONNX Runtime runs; the fp8 and fp4 graphs are quantized for TensorRT.</summary>
    private const string BflPrecision = "bf16";

    public static TransformerLayout Optimum { get; } = new(
        Graph("transformer"), Graph("text_encoder"), Graph("text_encoder_2"), Graph("text_encoder_3"),
        Graph("vae_decoder"), Graph("vae_encoder"), Path.Combine("vae_decoder", "config.json"), IsBlackForestLabs: false);

    public static TransformerLayout BlackForestLabs { get; } = new(
        Path.Combine(BflTransformers, BflPrecision, "model.onnx"), Graph("clip.opt"), Graph("t5.opt"), TextEncoder3: null,
        Graph("vae.opt"), Graph("vae_encoder.opt"), Path.Combine("vae", "config.json"), IsBlackForestLabs: true);

    /// <summary>The folder's layout, or null when it holds no diffusion transformer.</summary>
    public static TransformerLayout? Of(string folder) =>
        File.Exists(Path.Combine(folder, Optimum.Transformer)) ? Optimum
        : Directory.Exists(Path.Combine(folder, BflTransformers)) ? BlackForestLabs
        : null;

    /// <summary>Black Forest Labs' folder without its bf16 transformer (only the TensorRT-quantized ones): refused, saying so.</summary>
    public void CheckTransformer(string modelId, string folder)
    {
        if (!IsBlackForestLabs || File.Exists(Path.Combine(folder, Transformer)))
            return;
        var present = Directory.EnumerateDirectories(Path.Combine(folder, BflTransformers)).Select(Path.GetFileName).Order();
        throw new ModelLoadException(modelId,
            $"{modelId} has no {BflTransformers}/{BflPrecision}/model.onnx (it has {string.Join(", ", present)}): the fp8 and fp4 transformers are quantized for TensorRT; this runner runs the bf16 one.");
    }

    private static string Graph(string folder) => Path.Combine(folder, "model.onnx");
}
