using System.Buffers.Binary;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>A 16-bit PCM WAV as read: its format and its interleaved samples.</summary>
public sealed record Pcm16Wav(int SampleRate, int Channels, short[] Samples)
{
    /// <summary>The samples of a mono file as floats (divided by 32768, so <see cref="WavWriter"/> writes them back unchanged).</summary>
    public MonoAudio ToMono()
    {
        if (Channels != 1)
            throw new InvalidDataException($"Expected mono audio, got {Channels} channels.");
        var samples = new float[Samples.Length];
        for (var i = 0; i < samples.Length; i++)
            samples[i] = Samples[i] / 32768f;
        return new MonoAudio(samples, SampleRate);
    }
}

/// <summary>
/// Reads 16-bit PCM WAV. Tolerates what streaming writers produce: a RIFF or data size that was never filled in
/// (espeak-ng writes 0x7ffff000 to a pipe), so the data chunk is whatever bytes follow its header, up to its size.
/// </summary>
public static class WavReader
{
    public static Pcm16Wav Read(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav[8..12].SequenceEqual("WAVE"u8))
            throw new InvalidDataException("Not a RIFF WAVE file.");

        int? sampleRate = null;
        var channels = 0;
        var position = 12;
        while (position + 8 <= wav.Length)
        {
            var id = wav.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(wav[(position + 4)..]);
            var body = wav[(position + 8)..];
            if (id.SequenceEqual("data"u8))
            {
                if (sampleRate is not { } rate)
                    throw new InvalidDataException("The WAV data chunk comes before its fmt chunk.");
                var bytes = (int)Math.Min(size, (uint)body.Length) & ~1;
                var samples = new short[bytes / sizeof(short)];
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(body[(i * sizeof(short))..]);
                return new Pcm16Wav(rate, channels, samples);
            }

            if (size > (uint)body.Length)
                break;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                    throw new InvalidDataException("The WAV fmt chunk is too short.");
                var format = BinaryPrimitives.ReadUInt16LittleEndian(body);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
                var bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);
                if (format != 1 || bits != 16 || channels == 0)
                    throw new InvalidDataException($"Only 16-bit PCM WAV is read (format {format}, {bits} bits, {channels} channels).");
                sampleRate = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]));
            }

            position += 8 + (int)size + (int)(size & 1); // chunks are padded to an even length
        }

        throw new InvalidDataException("The WAV file has no data chunk.");
    }
}
