using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>/audio-to-text: Whisper in the optimum layout; uploads are decoded by ffmpeg.</summary>
public sealed class WhisperEngine : IEngine
{
    public static Prerequisite Ffmpeg { get; } = new("ffmpeg", "apt-get install ffmpeg",
        cancellationToken => AudioDecoder.IsAvailableAsync(cancellationToken: cancellationToken));

    public string Name => "whisper";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.AudioToText];

    public IReadOnlyList<Prerequisite> Prerequisites { get; } = [Ffmpeg];

    public int Concurrency => 1;

    public long ActivationBytes(ModelEntry entry, string location) => 512L << 20;

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(WhisperModel.Load(
            load.ModelId, load.RequireFolder("Whisper", "encoder_model.onnx, decoder, tokenizer and config files"), load.Sessions));
}
