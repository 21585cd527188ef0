using System.Buffers.Binary;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>
/// The one place the runner writes WAV: a canonical 44-byte RIFF header and mono 16-bit PCM, as soundfile's default
/// (RUNNER-CONTRACT §1.7). Float samples are scaled by 32768 and clipped to the PCM16 range, so a sample read from
/// PCM16 (divided by 32768) is written back unchanged.
/// </summary>
public static class WavWriter
{
    public const int HeaderBytes = 44;
    private const int BytesPerSample = sizeof(short);

    /// <summary>The largest sample count whose WAV still fits one array (and the RIFF header's 32-bit sizes).</summary>
    public const int MaxSamples = (int.MaxValue - HeaderBytes) / BytesPerSample - 64;

    public static byte[] Mono16(MonoAudio audio) => Mono16(audio.Samples, audio.SampleRate);

    public static byte[] Mono16(ReadOnlySpan<float> samples, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(samples.Length, MaxSamples, nameof(samples));

        var dataBytes = samples.Length * BytesPerSample;
        var wav = new byte[HeaderBytes + dataBytes];
        var header = wav.AsSpan(0, HeaderBytes);
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(wav.Length - 8));
        "WAVEfmt "u8.CopyTo(header[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 16); // fmt chunk size
        BinaryPrimitives.WriteUInt16LittleEndian(header[20..], 1); // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(header[22..], 1); // mono
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], (uint)(sampleRate * BytesPerSample)); // byte rate
        BinaryPrimitives.WriteUInt16LittleEndian(header[32..], BytesPerSample); // block align
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], 16); // bits per sample
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)dataBytes);

        var data = wav.AsSpan(HeaderBytes);
        for (var i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(data[(i * BytesPerSample)..], ToPcm16(samples[i]));
        return wav;
    }

    /// <summary>Scales by 32768, rounds to nearest, clips to [-32768, 32767]; NaN is silence.</summary>
    public static short ToPcm16(float sample)
    {
        if (float.IsNaN(sample))
            return 0;
        var scaled = MathF.Round(sample * 32768f);
        return scaled >= short.MaxValue ? short.MaxValue : scaled <= short.MinValue ? short.MinValue : (short)scaled;
    }
}
