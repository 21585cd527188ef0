using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Checks;

namespace Livepeer.Runner.Pipelines.Llm;

/// <summary>/llm and /v1/chat/completions: decoder-only ONNX exports (optimum / onnx-community layout).</summary>
public sealed class LlmEngine : IEngine
{
    public string Name => "llm";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.Llm];

    public IReadOnlyList<Prerequisite> Prerequisites => [];

    /// <summary>Unbounded: each generation owns its KV cache and ONNX Runtime runs one session from many threads.</summary>
    public int Concurrency => int.MaxValue;

    public long ActivationBytes(ModelEntry entry, string location) => 2L << 30;

    /// <summary>
    /// One generation's KV cache and logits: 256 KiB a token (an 8B Llama in fp32 needs 256 KiB, in fp16 128 KiB) for the
    /// prompt (about two characters a token) and the tokens asked for, between 64 MiB and 8 GiB.
    /// </summary>
    public static long ActivationFor(long promptCharacters, long maxTokens) =>
        Math.Clamp(((promptCharacters / 2) + Math.Min(maxTokens, 1L << 20)) * (256L << 10), 64L << 20, 8L << 30);

    /// <summary>A folder with a decoder graph and a config that is not a seq2seq or diffusers model's.</summary>
    public ModelRequirements? Requirements(string location) =>
        Directory.Exists(location) && LlmModel.GraphFiles.Any(f => File.Exists(Path.Combine(location, f))) ? LlmModel.Requirements() : null;

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(LlmModel.Load(load.ModelId, load.Location, load.Sessions, load.Clock));
}
