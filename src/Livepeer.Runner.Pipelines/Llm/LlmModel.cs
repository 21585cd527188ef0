using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;

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

    /// <summary>Loads from an optimum / onnx-community folder: <c>model.onnx</c> (or <c>onnx/model.onnx</c>) with its data, tokenizer and configs.</summary>
    /// <param name="clock">The chat template's clock (<c>strftime_now</c>); the system clock when not given.</param>
    public static LlmModel Load(string modelId, string folder, OnnxSessionFactory sessions, TimeProvider? clock = null)
    {
        if (!Directory.Exists(folder))
            throw new ModelLoadException(modelId, $"LLM {modelId} must be a model folder (model.onnx, tokenizer and config files).");
        var graph = new[] { Path.Combine(folder, "model.onnx"), Path.Combine(folder, "onnx", "model.onnx") }.FirstOrDefault(File.Exists)
            ?? throw new ModelLoadException(modelId, $"LLM folder of {modelId} holds no model.onnx (nor onnx/model.onnx).");

        var config = LlmConfig.FromModelFolder(folder);
        var tokenizer = LlmTokenizer.FromModelFolder(modelId, folder);
        var prompt = LlmPromptFormat.FromModelFolder(folder, tokenizer, clock ?? TimeProvider.System);
        return new LlmModel(modelId, DecoderModel.Load(modelId, graph, sessions, config), tokenizer, prompt, config);
    }

    public void Dispose() => Decoder.Dispose();
}
