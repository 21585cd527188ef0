using System.Buffers.Binary;
using System.Text.Json;

namespace Livepeer.Runner.Tests;

/// <summary>The /text-to-speech reply's WAV: out of its data URL, and its header checked field by field.</summary>
internal static class SpeechWav
{
    public static byte[] Decode(JsonElement json)
    {
        const string prefix = "data:audio/wav;base64,";
        Assert.Equal(["audio"], json.EnumerateObject().Select(p => p.Name));
        var url = json.GetProperty("audio").GetProperty("url").GetString()!;
        Assert.StartsWith(prefix, url, StringComparison.Ordinal);
        return Convert.FromBase64String(url[prefix.Length..]);
    }

    /// <summary>A mono PCM16 WAV at <paramref name="sampleRate"/> whose sizes agree; returns the sample count.</summary>
    public static int AssertMonoPcm16(byte[] wav, uint sampleRate)
    {
        Assert.True(wav.Length >= 44, $"{wav.Length} bytes");
        Assert.Equal("RIFF"u8.ToArray(), wav[..4]);
        Assert.Equal((uint)(wav.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(4)));
        Assert.Equal("WAVEfmt "u8.ToArray(), wav[8..16]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(20))); // PCM
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(22))); // mono
        Assert.Equal(sampleRate, BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(24)));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(wav.AsSpan(34)));
        Assert.Equal("data"u8.ToArray(), wav[36..40]);
        var samples = (wav.Length - 44) / 2;
        Assert.Equal((uint)(samples * 2), BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(40)));
        return samples;
    }
}
