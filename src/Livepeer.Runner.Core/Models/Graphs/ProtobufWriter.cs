using System.Buffers;
using System.Text;

namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>Writes protobuf wire format: tags, varints, length-delimited bytes, strings and nested messages.</summary>
internal sealed class ProtobufWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Varint(int field, long value)
    {
        Tag(field, ProtobufStream.Varint);
        RawVarint((ulong)value);
    }

    public void Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        LengthPrefix(field, bytes.Length);
        Raw(bytes);
    }

    /// <summary>The tag and length of a length-delimited field whose <paramref name="length"/> bytes the caller writes after.</summary>
    public void LengthPrefix(int field, long length)
    {
        Tag(field, ProtobufStream.LengthDelimited);
        RawVarint((ulong)length);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a nested message that <paramref name="write"/> composes.</summary>
    public void Message(int field, Action<ProtobufWriter> write)
    {
        var inner = new ProtobufWriter();
        write(inner);
        Bytes(field, inner.Written);
    }

    /// <summary>Bytes already in wire format (a field copied verbatim from another message).</summary>
    public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    private void Tag(int field, int wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    private void RawVarint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        var n = 0;
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            bytes[n++] = value == 0 ? b : (byte)(b | 0x80);
        }
        while (value != 0);
        Raw(bytes[..n]);
    }
}
