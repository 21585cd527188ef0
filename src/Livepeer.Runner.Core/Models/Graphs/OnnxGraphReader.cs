namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>
/// Reads a graph's signature straight from the ONNX protobuf (ModelProto.graph: input, output, initializer), seeking
/// past nodes and weight payloads, so it takes milliseconds and almost no memory even for a 16 GB model.
/// Field numbers are onnx.proto3's.
/// </summary>
public static class OnnxGraphReader
{
    // GraphProto
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;

    // ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto / Dimension
    private const int ValueName = 1;
    private const int ValueType = 2;
    private const int TypeTensor = 1;
    private const int TensorElemType = 1;
    private const int TensorShape = 2;
    private const int ShapeDim = 1;
    private const int DimValue = 1;
    private const int DimParam = 2;

    // TensorProto, StringStringEntryProto
    private const int InitializerName = 8;
    private const int InitializerExternalData = 13;

    /// <summary>The signature of the graph in <paramref name="path"/>; <see cref="InvalidDataException"/> when it is not an ONNX model.</summary>
    public static GraphSignature Read(string path) => OnnxModelFile.ReadGraph(path, ReadGraph);

    private static GraphSignature ReadGraph(ProtobufStream reader, long end)
    {
        var inputs = new List<GraphValue>();
        var outputs = new List<GraphValue>();
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        var external = new SortedSet<string>(StringComparer.Ordinal);
        while (reader.NextField(end, out var field, out var wire))
        {
            if (wire != ProtobufStream.LengthDelimited)
            {
                reader.Skip(wire, end);
                continue;
            }

            switch (field)
            {
                case GraphInput:
                    inputs.Add(ReadValue(reader, reader.MessageEnd(end)));
                    break;
                case GraphOutput:
                    outputs.Add(ReadValue(reader, reader.MessageEnd(end)));
                    break;
                case GraphInitializer:
                    ReadInitializer(reader, reader.MessageEnd(end), initializers, external);
                    break;
                default:
                    reader.Skip(wire, end);
                    break;
            }
        }

        // IR < 4 lists initializers among the inputs; ONNX Runtime does not show them as inputs.
        return new GraphSignature([.. inputs.Where(i => !initializers.Contains(i.Name))], outputs, [.. external]);
    }

    private static GraphValue ReadValue(ProtobufStream reader, long end)
    {
        var name = "";
        var type = "Undefined";
        IReadOnlyList<string> shape = [];
        while (reader.NextField(end, out var field, out var wire))
        {
            if (field == ValueName && wire == ProtobufStream.LengthDelimited)
                name = reader.ReadString(end);
            else if (field == ValueType && wire == ProtobufStream.LengthDelimited)
                (type, shape) = ReadType(reader, reader.MessageEnd(end));
            else
                reader.Skip(wire, end);
        }

        return new GraphValue(name, type, shape);
    }

    private static (string Type, IReadOnlyList<string> Shape) ReadType(ProtobufStream reader, long end)
    {
        var type = "NonTensor";
        var shape = new List<string>();
        while (reader.NextField(end, out var field, out var wire))
        {
            if (field != TypeTensor || wire != ProtobufStream.LengthDelimited)
            {
                reader.Skip(wire, end);
                continue;
            }

            var tensorEnd = reader.MessageEnd(end);
            while (reader.NextField(tensorEnd, out var tensorField, out var tensorWire))
            {
                if (tensorField == TensorElemType && tensorWire == ProtobufStream.Varint)
                    type = ElementTypeName((int)reader.ReadVarint());
                else if (tensorField == TensorShape && tensorWire == ProtobufStream.LengthDelimited)
                    ReadShape(reader, reader.MessageEnd(tensorEnd), shape);
                else
                    reader.Skip(tensorWire, tensorEnd);
            }
        }

        return (type, shape);
    }

    private static void ReadShape(ProtobufStream reader, long end, List<string> shape)
    {
        while (reader.NextField(end, out var field, out var wire))
        {
            if (field != ShapeDim || wire != ProtobufStream.LengthDelimited)
            {
                reader.Skip(wire, end);
                continue;
            }

            var dimEnd = reader.MessageEnd(end);
            var dim = "?";
            while (reader.NextField(dimEnd, out var dimField, out var dimWire))
            {
                if (dimField == DimValue && dimWire == ProtobufStream.Varint)
                    dim = ((long)reader.ReadVarint()).ToString(System.Globalization.CultureInfo.InvariantCulture);
                else if (dimField == DimParam && dimWire == ProtobufStream.LengthDelimited)
                    dim = reader.ReadString(dimEnd);
                else
                    reader.Skip(dimWire, dimEnd);
            }

            shape.Add(dim);
        }
    }

    private static void ReadInitializer(ProtobufStream reader, long end, HashSet<string> names, SortedSet<string> external)
    {
        while (reader.NextField(end, out var field, out var wire))
        {
            if (field == InitializerName && wire == ProtobufStream.LengthDelimited)
                names.Add(reader.ReadString(end));
            else if (field == InitializerExternalData && wire == ProtobufStream.LengthDelimited)
            {
                if (OnnxModelFile.ReadEntry(reader, reader.MessageEnd(end)) is ("location", { Length: > 0 } location))
                    external.Add(location);
            }
            else
                reader.Skip(wire, end); // raw_data and the typed payloads: sought past, never read
        }
    }

    /// <summary>ONNX's TensorProto.DataType numbers, by ONNX Runtime's names for them.</summary>
    private static string ElementTypeName(int type) => type switch
    {
        1 => "Float",
        2 => "UInt8",
        3 => "Int8",
        4 => "UInt16",
        5 => "Int16",
        6 => "Int32",
        7 => "Int64",
        8 => "String",
        9 => "Bool",
        10 => "Float16",
        11 => "Double",
        12 => "UInt32",
        13 => "UInt64",
        16 => "BFloat16",
        _ => $"DataType{type}",
    };
}
