using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Engines;

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

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(LlmModel.Load(load.ModelId, load.Location, load.Sessions, load.Clock));
}
