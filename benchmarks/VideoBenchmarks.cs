using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Video;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Benchmarks;

/// <summary>
/// Image-to-video on the tiny SVD fixture (random weights, 14 frames), at 512×288 (a quarter of the contract's
/// 1024×576 default): one UNet step (both guidance rows of every frame in one run, the per-frame guidance and the
/// Euler step), and a whole 2-step request (image embedding, noise-augmented VAE encode, the steps, the chunked
/// temporal decode). Then the reply: 25 photo frames of 1024×576 PNG-encoded and base64-written as the route streams them.
/// </summary>
[MemoryDiagnoser]
public class VideoBenchmarks
{
    private VideoModel _model = null!;
    private VideoRequest _request = null!;
    private VideoGenerator _stepping = null!;
    private VideoOutput _reply = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _model = await VideoModel.LoadAsync("test/tiny-svd", TestPaths.Model("tiny", "svd"), new OnnxSessionFactory(new RunnerSettings { ExecutionProvider = "cpu" }));
        var photo = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Asset("images", "chelsea.png")), long.MaxValue);
        _request = new VideoRequest(photo, 512, 288, 6, 127, 0.02, Steps: 2);
        _stepping = new VideoGenerator(_model, _request with { Steps = 25 }, 42, CancellationToken.None);
        var frame = PilResize.Resize(photo, 1024, 576);
        _reply = new VideoOutput([.. Enumerable.Range(0, 25).Select(_ => frame)], 42, Nsfw: false, HasSafetyChecker: false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stepping.Dispose();
        _model.Dispose();
    }

    [Benchmark(Description = "one UNet step, 512×288 × 14 frames × 2 rows (tiny UNet)")]
    public void UnetStep() => _stepping.Step(0, CancellationToken.None);

    [Benchmark(Description = "i2v request, 512×288, 2 steps, 14 frames, decode chunk 4 (tiny)")]
    public int TwoStepRequest()
    {
        using var generator = new VideoGenerator(_model, _request, 42, CancellationToken.None);
        for (var step = 0; step < generator.Steps; step++)
            generator.Step(step, CancellationToken.None);
        return generator.Decode(CancellationToken.None).Count;
    }

    [Benchmark(Description = "VideoResponse: 25 frames 1024×576, PNG level 1 + base64")]
    public async Task<int> Reply25Frames()
    {
        var writer = PipeWriter.Create(Stream.Null);
        await MediaReplies.WriteVideoAsync(writer, _reply.Frames, _reply.Seed, _reply.Nsfw, 1, CancellationToken.None);
        await writer.CompleteAsync();
        return _reply.Frames.Count;
    }
}
