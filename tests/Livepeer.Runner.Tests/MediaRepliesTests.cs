using System.IO.Pipelines;
using System.Text.Json;
using Livepeer.Runner.Contract;
using Livepeer.Runner.Pipelines.Media;

namespace Livepeer.Runner.Tests;

/// <summary>The streamed media replies are byte for byte what serializing the contract's records writes.</summary>
public sealed class MediaRepliesTests
{
    private static readonly Random Random = new(7);

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        Random.NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> WrittenAsync(Func<PipeWriter, Task> write)
    {
        var body = new MemoryStream();
        var writer = PipeWriter.Create(body);
        await write(writer);
        await writer.CompleteAsync();
        return body.ToArray();
    }

    // Sizes around the 786,432-byte base64 chunk: below, exactly one, one and a bit (the last chunk padded), two.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3 * 256 * 1024)]
    [InlineData((3 * 256 * 1024) + 2)]
    [InlineData(2 * 3 * 256 * 1024)]
    public async Task Images_EqualTheSerializedImageResponse(int pngBytes)
    {
        EncodedMedia[] images = [new(Bytes(pngBytes), 42, false), new(Bytes(pngBytes / 2 + 5), -9_007_199_254_740_993, true)];

        var streamed = await WrittenAsync(writer => MediaReplies.WriteImagesAsync(writer, images, CancellationToken.None));

        var serialized = JsonSerializer.SerializeToUtf8Bytes(
            new ImageResponse([.. images.Select(i => new Media(DataUrl.Png(i.Png), i.Seed, i.Nsfw))]), RunnerJson.Wire.ImageResponse);
        Assert.Equal(serialized, streamed);
    }

    [Fact]
    public async Task Video_EqualsTheSerializedVideoResponse_OneBatchOfFramesWithTheSeed()
    {
        RgbImage[] frames = [Image(3, 2, 10), Image(5, 4, 200), Image(1, 1, 0)];

        var streamed = await WrittenAsync(writer => MediaReplies.WriteVideoAsync(writer, frames, 77, true, 1, CancellationToken.None));

        var serialized = JsonSerializer.SerializeToUtf8Bytes(
            new VideoResponse([[.. frames.Select(f => new Media(DataUrl.Png(PngEncoder.Encode(f, 1)), 77, true))]]), RunnerJson.Wire.VideoResponse);
        Assert.Equal(serialized, streamed);
    }

    private static RgbImage Image(int width, int height, byte value)
    {
        var image = new RgbImage(width, height);
        Array.Fill(image.Pixels, value);
        return image;
    }

    [Fact]
    public async Task Audio_EqualsTheSerializedAudioResponse()
    {
        var wav = Bytes((3 * 256 * 1024) + 1);

        var streamed = await WrittenAsync(writer => MediaReplies.WriteAudioAsync(writer, wav, CancellationToken.None));

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(new AudioResponse(new MediaUrl(DataUrl.Wav(wav))), RunnerJson.Wire.AudioResponse), streamed);
    }
}
