using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;

using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Pipelines.Tests.Whisper;

/// <summary>Upload bytes → ffmpeg → log-mel → tiny Whisper → the contract's text and chunks, for every container.</summary>
public sealed class AudioToTextTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    [Theory]
    [InlineData("jfk.mp3")]
    [InlineData("jfk.m4a")]
    [InlineData("jfk.webm")]
    [InlineData("jfk.opus.ogg")]
    public async Task Upload_InAnyContainer_GivesChunksInsideTheAudio(string name)
    {
        using var model = WhisperModel.Load("whisper-large-v3", TestPaths.Model("tiny", "whisper-large-v3"), Sessions);
        await using var upload = File.OpenRead(AudioFiles.Converted(name));

        var samples = await new AudioDecoder(new AudioDecoderOptions()).DecodeAsync(upload, CancellationToken.None);
        var result = await model.TranscribeAsync(samples, new TranscriptionOptions(ReturnTimestamps: true, MaxNewTokens: 30), CancellationToken.None);

        Assert.NotEmpty(result.Chunks);
        var duration = samples.Length / 16_000.0;
        var previousStart = 0.0;
        foreach (var chunk in result.Chunks)
        {
            Assert.InRange(chunk.Start, previousStart, duration);
            Assert.InRange(chunk.End ?? duration, chunk.Start, duration);
            previousStart = chunk.Start;
        }

        Assert.Equal(result.Text, string.Concat(result.Chunks.Select(c => c.Text)));
    }
}
