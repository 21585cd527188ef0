using System.Text.Json;
using Livepeer.Runner.Core;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Moonshine;

namespace Livepeer.Runner.Pipelines.Whisper;

/// <summary>The speech-recognition families /audio-to-text runs.</summary>
public enum SpeechFamily
{
    Whisper,
    Moonshine,
}

/// <summary>
/// /audio-to-text: one engine, two model families behind <see cref="ISpeechRecognizer"/>. The family is the folder's
/// <c>config.json</c> <c>model_type</c> (<c>whisper</c> / <c>moonshine</c>), else what its encoder takes
/// (<c>input_features</c>: Whisper's log-mel; <c>input_values</c>: Moonshine's raw samples). Uploads are decoded by
/// ffmpeg.
/// </summary>
public sealed class AudioToTextEngine : IEngine
{
    public static Prerequisite Ffmpeg { get; } = new("ffmpeg", "apt-get install ffmpeg",
        cancellationToken => AudioDecoder.IsAvailableAsync(cancellationToken: cancellationToken));

    public string Name => "speech-recognition";

    public IReadOnlyList<string> Pipelines { get; } = [PipelineNames.AudioToText];

    public IReadOnlyList<Prerequisite> Prerequisites { get; } = [Ffmpeg];

    public int Concurrency => 1;

    public long ActivationBytes(ModelEntry entry, string location) => 512L << 20;

    public ModelRequirements? Requirements(string location)
    {
        if (!Directory.Exists(location))
            return null;
        var type = ModelType(location);
        if (type is null && GraphFolder(location) is { } graphs)
        {
            // No config.json: the encoder's input tells the families apart, as Family does with a session.
            var encoder = TryRead(Path.Combine(graphs, WhisperModel.EncoderFile));
            type = encoder?.Input(MoonshineModel.EncoderInput) is not null ? "moonshine" : encoder?.Input(WhisperModel.EncoderInput) is not null ? "whisper" : null;
        }

        return type switch
        {
            "whisper" => WhisperModel.Requirements(location),
            "moonshine" => MoonshineModel.Requirements(location),
            _ => null,
        };
    }

    private static GraphSignature? TryRead(string graph)
    {
        try
        {
            return File.Exists(graph) ? OnnxGraphReader.Read(graph) : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    public Task<IDisposable> LoadAsync(EngineLoad load, CancellationToken cancellationToken) =>
        Task.FromResult<IDisposable>(Load(load.ModelId, load.Location, load.Sessions));

    public static ISpeechRecognizer Load(string modelId, string location, OnnxSessionFactory sessions)
    {
        if (!Directory.Exists(location))
            throw new ModelLoadException(modelId, $"Speech-recognition model {modelId} must be a model folder (encoder_model.onnx, decoder, tokenizer and config files).");
        return Family(modelId, location, sessions) switch
        {
            SpeechFamily.Moonshine => MoonshineModel.Load(modelId, location, sessions),
            _ => WhisperModel.Load(modelId, location, sessions),
        };
    }

    public static SpeechFamily Family(string modelId, string directory, OnnxSessionFactory sessions)
    {
        switch (ModelType(directory))
        {
            case "whisper":
                return SpeechFamily.Whisper;
            case "moonshine":
                return SpeechFamily.Moonshine;
            case { } other:
                throw new ModelLoadException(modelId, $"Model {modelId} is a '{other}' model (config.json model_type); /audio-to-text runs whisper and moonshine.");
        }

        var graphs = GraphFolder(directory)
            ?? throw new ModelLoadException(modelId, $"Speech-recognition model {modelId} has no config.json and no encoder_model.onnx (neither in its folder nor under onnx/).");
        using var encoder = sessions.Create(modelId, Path.Combine(graphs, WhisperModel.EncoderFile));
        if (encoder.InputMetadata.ContainsKey(MoonshineModel.EncoderInput))
            return SpeechFamily.Moonshine;
        if (encoder.InputMetadata.ContainsKey(WhisperModel.EncoderInput))
            return SpeechFamily.Whisper;
        throw new ModelLoadException(modelId, $"Model {modelId}: its encoder takes {string.Join(", ", encoder.InputMetadata.Keys)}, neither Whisper's input_features nor Moonshine's input_values.");
    }

    /// <summary>
    /// The folder holding <c>encoder_model.onnx</c>: the model folder itself (optimum's layout), else its <c>onnx/</c>
    /// (transformers.js / onnx-community); null when neither has it. Config and tokenizer files stay in the model folder.
    /// </summary>
    public static string? GraphFolder(string directory)
    {
        foreach (var folder in (string[])[directory, Path.Combine(directory, "onnx")])
        {
            if (File.Exists(Path.Combine(folder, "encoder_model.onnx")))
                return folder;
        }

        return null;
    }

    /// <summary><c>config.json</c>'s <c>model_type</c>, or null when the folder has no readable one.</summary>
    private static string? ModelType(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path))
            return null;
        try
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(path));
            return config.RootElement.ValueKind == JsonValueKind.Object && config.RootElement.TryGetProperty("model_type", out var type)
                && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
