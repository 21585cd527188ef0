using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>A loaded LLM: its decoder graph, tokenizer, prompt format and generation settings. One per model, shared by requests.</summary>
public sealed class LlmModel : IDisposable
{
    private LlmModel(string modelId, DecoderModel decoder, LlmTokenizer tokenizer, LlmPromptFormat prompt, LlmConfig config)
    {
        ModelId = modelId;
        Decoder = decoder;
        Tokenizer = tokenizer;
        Prompt = prompt;
        Config = config;
    }

    public string ModelId { get; }

    public DecoderModel Decoder { get; }

    public LlmTokenizer Tokenizer { get; }

    public LlmPromptFormat Prompt { get; }

    public LlmConfig Config { get; }

    /// <summary>Where the graph is: optimum's layout, then onnx-community's.</summary>
    internal static readonly string[] GraphFiles = ["model.onnx", "onnx/model.onnx"];

    /// <summary>What <see cref="Load"/> reads: the config, a tokenizer, and a decoder graph with its cache, fed as <see cref="DecoderModel"/> feeds it.</summary>
    internal static ModelRequirements Requirements() => new("decoder-only LLM",
        [FileNeed.Of("the model config", "config.json"), FileNeed.Of("the tokenizer", "tokenizer.json", "tokenizer.model")],
        [
            new GraphNeed("decoder", GraphFiles,
                [.. DecoderModel.RequiredInputs.Select(n => TensorNeed.Named(n, "Int64")), TensorNeed.Named(DecoderModel.FirstPastKey, TensorNeed.FloatTypes)],
                [TensorNeed.Named(DecoderModel.Logits, TensorNeed.FloatTypes)]),
        ]);

    /// <summary>Loads from an optimum / onnx-community folder: <c>model.onnx</c> (or <c>onnx/model.onnx</c>) with its data, tokenizer and configs.</summary>
    /// <param name="clock">The chat template's clock (<c>strftime_now</c>); the system clock when not given.</param>
    public static LlmModel Load(string modelId, string folder, OnnxSessionFactory sessions, TimeProvider? clock = null)
    {
        if (!Directory.Exists(folder))
            throw new ModelLoadException(modelId, $"LLM {modelId} must be a model folder (model.onnx, tokenizer and config files).");
        var graph = GraphFiles.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists)
            ?? throw new ModelLoadException(modelId, $"LLM folder of {modelId} holds no model.onnx (nor onnx/model.onnx).");

        var config = LlmConfig.FromModelFolder(folder);
        var tokenizer = LlmTokenizer.FromModelFolder(modelId, folder);
        var prompt = LlmPromptFormat.FromModelFolder(folder, tokenizer, clock ?? TimeProvider.System);
        return new LlmModel(modelId, DecoderModel.Load(modelId, graph, sessions, config), tokenizer, prompt, config);
    }

    public void Dispose() => Decoder.Dispose();
}
