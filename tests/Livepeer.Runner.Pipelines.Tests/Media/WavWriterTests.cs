using System.Buffers.Binary;
using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Tests.Whisper;

namespace Livepeer.Runner.Pipelines.Tests.Media;

public sealed class WavWriterTests
{
    [Fact]
    public void Mono16_WritesTheCanonicalHeader()
    {
        var wav = WavWriter.Mono16(new float[5], 22_050);

        Assert.Equal(44 + 10, wav.Length);
        Assert.Equal("RIFF"u8.ToArray(), wav[..4]);
        Assert.Equal((uint)(wav.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(4)));
        Assert.Equal("WAVEfmt "u8.ToArray(), wav[8..16]);
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(16)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(20))); // PCM
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(22))); // mono
        Assert.Equal(22_050u, BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(24)));
        Assert.Equal(44_100u, BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(28))); // byte rate
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(32))); // block align
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(34)));
        Assert.Equal("data"u8.ToArray(), wav[36..40]);
        Assert.Equal(10u, BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(40)));
    }

    [Fact]
    public void Mono16_NoSamples_IsAValidEmptyWav()
    {
        var wav = WavWriter.Mono16([], 44_100);

        Assert.Equal(44, wav.Length);
        Assert.Empty(WavReader.Read(wav).Samples);
    }

    [Fact]
    public void Mono16_ClipsOutOfRangeSamples_AndWritesNaNAsSilence()
    {
        var wav = WavWriter.Mono16([2f, -2f, 1f, -1f, float.PositiveInfinity, float.NaN, 0.5f], 16_000);

        Assert.Equal([32767, -32768, 32767, -32768, 32767, 0, 16384], WavReader.Read(wav).Samples);
    }

    [Fact]
    public void Mono16_OfSamplesReadFromPcm16_WritesThemBackUnchanged()
    {
        var original = File.ReadAllBytes(AudioFiles.JfkWav);
        var read = WavReader.Read(original);

        var rewritten = WavReader.Read(WavWriter.Mono16(read.ToMono()));

        Assert.Equal(read.SampleRate, rewritten.SampleRate);
        Assert.Equal(read.Samples, rewritten.Samples);
    }

    [Fact]
    public void Read_WalksPastOtherChunks()
    {
        // jfk.wav carries a LIST chunk before its data.
        var wav = WavReader.Read(File.ReadAllBytes(AudioFiles.JfkWav));

        Assert.Equal(16_000, wav.SampleRate);
        Assert.Equal(1, wav.Channels);
        Assert.Equal(AudioFiles.ReadWav(AudioFiles.JfkWav), wav.ToMono().Samples);
    }

    [Fact]
    public void Read_StreamedHeaderWithUnfilledSizes_TakesTheBytesThatFollow()
    {
        var wav = WavWriter.Mono16([0.25f, -0.25f, 0.5f], 22_050);
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(4), 0x7ffff000); // what espeak-ng writes to a pipe
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), 0x7ffff000);

        Assert.Equal([8192, -8192, 16384], WavReader.Read(wav).Samples);
    }

    [Theory]
    [InlineData("")]
    [InlineData("RIFF")]
    [InlineData("RIFF\0\0\0\0WAVE")]
    [InlineData("RIFF\0\0\0\0AVI LIST")]
    public void Read_NotAWav_ThrowsInvalidData(string text)
    {
        Assert.Throws<InvalidDataException>(() => WavReader.Read(System.Text.Encoding.Latin1.GetBytes(text)));
    }

    [Fact]
    public void Read_FloatWav_IsRefused()
    {
        var wav = WavWriter.Mono16([0f], 8_000);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(20), 3); // IEEE float
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(34), 32);

        Assert.Throws<InvalidDataException>(() => WavReader.Read(wav));
    }

    [Fact]
    public void ToMono_OfStereo_Throws()
    {
        Assert.Throws<InvalidDataException>(() => new Pcm16Wav(8_000, 2, [1, 2]).ToMono());
    }
}
