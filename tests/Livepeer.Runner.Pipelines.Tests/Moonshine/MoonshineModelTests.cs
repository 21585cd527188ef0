using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Moonshine;
using Livepeer.Runner.Pipelines.Tests.Whisper;
using Livepeer.Runner.Pipelines.Whisper;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Moonshine;

/// <summary>The real Moonshine tiny (int8) on the CPU: the graphs' signatures, G-MOONSHINE, layouts, windows and silence.</summary>
public sealed class MoonshineModelTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });
    private static readonly Lazy<float[]> Jfk = new(() => AudioFiles.ReadWav(AudioFiles.JfkWav));
    private static readonly Lazy<MoonshineModel> Model = new(() => MoonshineModel.Load("moonshine-tiny", MoonshineAssets.Folder, Sessions));

    [Fact]
    public void Graphs_HaveTheSignatureTheModelFeeds()
    {
        using var encoder = new InferenceSession(Path.Combine(MoonshineAssets.Folder, "encoder_model.onnx"));
        using var decoder = new InferenceSession(Path.Combine(MoonshineAssets.Folder, "decoder_model_merged.onnx"));

        Assert.Equal(["input_values"], encoder.InputMetadata.Keys);
        Assert.Equal(["last_hidden_state"], encoder.OutputMetadata.Keys);
        string[] pasts = [.. Enumerable.Range(0, 6).SelectMany(i => new[] { "decoder.key", "decoder.value", "encoder.key", "encoder.value" }.Select(n => $"past_key_values.{i}.{n}"))];
        Assert.Equal(["input_ids", "encoder_hidden_states", .. pasts, "use_cache_branch"], decoder.InputMetadata.Keys);
        Assert.Equal(["logits", .. pasts.Select(p => p.Replace("past_key_values.", "present.", StringComparison.Ordinal))], decoder.OutputMetadata.Keys);
        Assert.Equal([-1, 8, -1, 36], decoder.OutputMetadata["present.0.decoder.key"].Dimensions);
    }

    [Fact]
    public void Jfk_DecodesToTheGoldenIds()
    {
        var window = Assert.Single(Model.Value.DecodeWindows(Jfk.Value, WindowPlan.For(Jfk.Value), CancellationToken.None));

        Assert.Equal(MoonshineAssets.ExpectedJfkIds, window.Generated);
        Assert.Equal(MoonshineAssets.ExpectedJfk, window.Text);
    }

    [Fact]
    public async Task Jfk_IsTranscribedAsTheGolden_WithOneChunkOverTheFile()
    {
        var result = await Model.Value.TranscribeAsync(Jfk.Value, new TranscriptionOptions(), CancellationToken.None);

        Assert.Equal(MoonshineAssets.ExpectedJfk, result.Text);
        Assert.Equal(new TranscriptChunk(0, 11.0, MoonshineAssets.ExpectedJfk), Assert.Single(result.Chunks));
    }

    [Fact]
    public async Task TimestampsOff_GiveTheTextAndNoChunks()
    {
        var result = await Model.Value.TranscribeAsync(Jfk.Value, new TranscriptionOptions(ReturnTimestamps: false), CancellationToken.None);

        Assert.Equal(MoonshineAssets.ExpectedJfk, result.Text);
        Assert.Empty(result.Chunks);
    }

    [Fact]
    public void MaxNewTokens_FollowsSixPerSecond_AtLeastOne_WithinThePositions()
    {
        var config = Model.Value.Config;

        Assert.Equal(66, config.MaxNewTokens(176_000));
        Assert.Equal(1, config.MaxNewTokens(1_000));
        Assert.Equal(config.MaxPositions - 1, config.MaxNewTokens(16_000 * 600));
    }

    [Fact]
    public void TheCap_StopsAWindowMidSentence()
    {
        var window = Assert.Single(Model.Value.DecodeWindows(Jfk.Value, WindowPlan.For(Jfk.Value), CancellationToken.None, maxNewTokens: 5));

        Assert.Equal(MoonshineAssets.ExpectedJfkIds[..5], window.Generated);
    }

    [Fact]
    public async Task Silence_GivesNoText()
    {
        var result = await Model.Value.TranscribeAsync(new float[16_000 * 3], new TranscriptionOptions(), CancellationToken.None);

        Assert.Equal("", result.Text);
        Assert.Empty(result.Chunks);
    }

    [Fact]
    public void AWindowShorterThanTheEncoderNeeds_IsNotDecoded()
    {
        var window = Assert.Single(Model.Value.DecodeWindows(Jfk.Value, [new WindowPlan.Window(16_000, MoonshineModel.MinWindowSamples - 1)], CancellationToken.None));
        Assert.Empty(window.Generated);
        Assert.Equal("", window.Text);
    }

    [Fact]
    public async Task Cancellation_StopsTheTranscription()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Model.Value.TranscribeAsync(Jfk.Value, new TranscriptionOptions(), cancelled.Token));
    }
}

/// <summary>Moonshine with the real Silero VAD: each speech span is its own window, in file time.</summary>
public sealed class MoonshineVadTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    [Fact]
    public async Task SpeechAfterSilence_IsTranscribedWithChunksWhereTheSpeechIs()
    {
        using var model = MoonshineModel.Load("moonshine-tiny", MoonshineAssets.Folder, Sessions);
        using var vad = SileroVad.Load(TestPaths.Asset("vad", "silero_vad_v5.onnx"), Sessions);
        float[] samples = [.. new float[16_000 * 5], .. AudioFiles.ReadWav(AudioFiles.JfkWav)];

        var result = await model.TranscribeSpeechOnlyAsync(vad, samples, new TranscriptionOptions(), null, CancellationToken.None);

        Assert.Contains("ask not what your country can do for you", result.Text, StringComparison.Ordinal);
        Assert.NotEmpty(result.Chunks);
        Assert.All(result.Chunks, c => Assert.InRange(c.Start, 4.0, 16.0)); // the 400 ms pad reaches into the silence
        Assert.Equal(result.Text, string.Join(' ', result.Chunks.Select(c => c.Text)));
    }

    [Fact]
    public async Task Silence_HasNoSpeechToTranscribe()
    {
        using var model = MoonshineModel.Load("moonshine-tiny", MoonshineAssets.Folder, Sessions);
        using var vad = SileroVad.Load(TestPaths.Asset("vad", "silero_vad_v5.onnx"), Sessions);

        var result = await model.TranscribeSpeechOnlyAsync(vad, new float[16_000 * 4], new TranscriptionOptions(), null, CancellationToken.None);

        Assert.Equal(new Transcription("", []).Text, result.Text);
        Assert.Empty(result.Chunks);
    }
}
