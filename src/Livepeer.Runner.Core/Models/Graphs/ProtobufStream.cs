namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>
/// Reads protobuf wire format from a seekable stream within a byte limit, skipping any field it is not asked for by
/// seeking past it, so a graph's weights are never read into memory.
/// </summary>
internal sealed class ProtobufStream(Stream stream)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    public long Position => stream.Position;

    /// <summary>The next field's number and wire type, or false at <paramref name="end"/>.</summary>
    public bool NextField(long end, out int field, out int wireType)
    {
        field = 0;
        wireType = 0;
        if (stream.Position >= end)
            return false;
        var tag = ReadVarint();
        field = checked((int)(tag >> 3));
        wireType = (int)(tag & 7);
        if (field == 0)
            throw new InvalidDataException($"a protobuf field number 0 at byte {stream.Position}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0)
                throw new InvalidDataException("the file ends inside a protobuf varint");
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return value;
        }

        throw new InvalidDataException("a protobuf varint longer than 10 bytes");
    }

    public uint ReadFixed32()
    {
        Span<byte> bytes = stackalloc byte[4];
        stream.ReadExactly(bytes);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    /// <summary>The end position of the length-delimited field whose length comes next.</summary>
    public long MessageEnd(long limit)
    {
        var length = checked((long)ReadVarint());
        var end = stream.Position + length;
        if (end > limit)
            throw new InvalidDataException($"a protobuf field of {length} bytes runs past its message at byte {stream.Position}");
        return end;
    }

    public string ReadString(long limit) => System.Text.Encoding.UTF8.GetString(ReadBytes(limit));

    /// <summary>The bytes of the length-delimited field whose length comes next (a nested message kept whole).</summary>
    public byte[] ReadBytes(long limit)
    {
        var end = MessageEnd(limit);
        var bytes = new byte[end - stream.Position];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public void Seek(long position) => stream.Position = position;

    public void Skip(int wireType, long limit)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                stream.Position += 8;
                break;
            case LengthDelimited:
                stream.Position = MessageEnd(limit);
                break;
            case Fixed32:
                stream.Position += 4;
                break;
            default:
                throw new InvalidDataException($"protobuf wire type {wireType} at byte {stream.Position} (not an ONNX model file?)");
        }

        if (stream.Position > limit)
            throw new InvalidDataException("a protobuf field runs past the end of the file");
    }
}
