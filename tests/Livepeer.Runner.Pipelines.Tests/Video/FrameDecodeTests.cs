using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Video;

namespace Livepeer.Runner.Pipelines.Tests.Video;

/// <summary>
/// diffusers' decode_latents on the fixture's temporal decoder, which really regroups <c>batch_frames</c> by
/// <c>num_frames</c>: each chunk is decoded as a video of its own, so chunks of 4 equal decoding each 4-frame chunk
/// alone, a chunk of every frame equals one decode of the whole video, and the two differ (the decoder mixes within a call).
/// </summary>
public sealed class FrameDecodeTests
{
    private static async Task<(VideoModel Model, float[] Latents, int Height, int Width)> LatentsAsync()
    {
        var model = await VideoFixture.LoadAsync();
        var image = new RgbImage(40, 24);
        for (var i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = (byte)(i * 7);
        await VideoFixture.Turn.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            using var generator = new VideoGenerator(model, new VideoRequest(image, 40, 24, 6, 127, 0.02, Steps: 1), 9, CancellationToken.None);
            generator.Step(0, CancellationToken.None);
            return (model, generator.Latents.ToArray(), generator.LatentHeight, generator.LatentWidth);
        }
        finally
        {
            VideoFixture.Turn.Release();
        }
    }

    [Fact]
    public async Task ChunksOfFour_AreEachChunkDecodedAlone()
    {
        var (model, latents, height, width) = await LatentsAsync();
        var frames = model.Frames;
        var frameLength = model.Vae.LatentChannels * height * width;

        var chunked = FrameDecode.Decode(model.Vae, latents, frames, height, width, 4, CancellationToken.None);

        Assert.Equal(frames, chunked.Count);
        for (var first = 0; first < frames; first += 4)
        {
            var count = Math.Min(4, frames - first);
            var alone = FrameDecode.Decode(model.Vae, latents.AsSpan(first * frameLength, count * frameLength), count, height, width, frames, CancellationToken.None);
            for (var f = 0; f < count; f++)
                Assert.Equal(alone[f].Pixels, chunked[first + f].Pixels);
        }
    }

    [Fact]
    public async Task OneChunkOfEveryFrame_IsOneDecodeOfTheWholeVideo_AndDiffersFromChunksOfFour()
    {
        var (model, latents, height, width) = await LatentsAsync();
        var frames = model.Frames;

        var whole = FrameDecode.Decode(model.Vae, latents, frames, height, width, frames, CancellationToken.None);
        var larger = FrameDecode.Decode(model.Vae, latents, frames, height, width, 100, CancellationToken.None);
        var chunked = FrameDecode.Decode(model.Vae, latents, frames, height, width, 4, CancellationToken.None);

        Assert.True(model.Vae.TakesNumFrames);
        Assert.Equal(whole.Select(f => f.Pixels), larger.Select(f => f.Pixels));
        Assert.Equal((40, 24), (whole[0].Width, whole[0].Height));
        Assert.NotEqual(whole[0].Pixels, chunked[0].Pixels);
    }
}
