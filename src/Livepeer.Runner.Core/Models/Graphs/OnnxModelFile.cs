namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>The parts of an ONNX ModelProto both graph readers walk the same way: finding the graph, and string map entries.</summary>
internal static class OnnxModelFile
{
    private const int ModelGraph = 7;
    private const int EntryKey = 1;
    private const int EntryValue = 2;

    /// <summary>Opens <paramref name="path"/> and hands <paramref name="readGraph"/> the reader at the graph and the graph's end.</summary>
    public static T ReadGraph<T>(string path, Func<ProtobufStream, long, T> readGraph)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
        var reader = new ProtobufStream(new BufferedStream(file, 1 << 16));
        var length = file.Length;
        while (reader.NextField(length, out var field, out var wire))
        {
            if (field == ModelGraph && wire == ProtobufStream.LengthDelimited)
                return readGraph(reader, reader.MessageEnd(length));
            reader.Skip(wire, length);
        }

        throw new InvalidDataException("the file has no graph (not an ONNX model?)");
    }

    /// <summary>A StringStringEntryProto (a tensor's external_data entry): its key (null when absent) and value.</summary>
    public static (string? Key, string Value) ReadEntry(ProtobufStream reader, long end)
    {
        string? key = null;
        var value = "";
        while (reader.NextField(end, out var field, out var wire))
        {
            if (field == EntryKey && wire == ProtobufStream.LengthDelimited)
                key = reader.ReadString(end);
            else if (field == EntryValue && wire == ProtobufStream.LengthDelimited)
                value = reader.ReadString(end);
            else
                reader.Skip(wire, end);
        }

        return (key, value);
    }
}
