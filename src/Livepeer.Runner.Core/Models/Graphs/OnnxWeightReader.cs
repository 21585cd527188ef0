namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>A node of a graph: its name, operator, inputs, and the <c>transB</c> attribute Gemm carries (0 when absent).</summary>
public sealed record GraphNode(string Name, string OpType, IReadOnlyList<string> Inputs, long TransB);

/// <summary>
/// Where an initializer's bytes are: <paramref name="File"/> (the model file, or its external data file) from
/// <paramref name="Offset"/> for <paramref name="Length"/> bytes, little-endian. Null <paramref name="File"/>: the
/// tensor keeps its values in a typed field (float_data…) instead of raw bytes, which this reader does not locate.
/// </summary>
public sealed record InitializerData(string? File, long Offset, long Length);

/// <summary>An initializer's name, ONNX data type (1 float, 10 float16…), shape, and where its bytes lie.</summary>
public sealed record GraphInitializer(string Name, int DataType, IReadOnlyList<long> Dims, InitializerData Data)
{
    public long ElementCount => Dims.Aggregate(1L, (count, dim) => count * dim);
}

/// <summary>A graph's nodes and initializers, without the initializers' values.</summary>
public sealed record GraphWeights(IReadOnlyList<GraphNode> Nodes, IReadOnlyDictionary<string, GraphInitializer> Initializers);

/// <summary>
/// Reads a graph's nodes and the whereabouts of its initializers straight from the ONNX protobuf, seeking past every
/// initializer's payload, so the weights are located but never loaded (nodes are read by <see cref="OnnxNode.Read"/>).
/// Field numbers are onnx.proto3's: GraphProto node 1, initializer 5; TensorProto dims 1, data_type 2, name 8,
/// raw_data 9, external_data 13.
/// </summary>
public static class OnnxWeightReader
{
    private const int GraphNodeField = 1;
    private const int GraphInitializerField = 5;
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorName = 8;
    private const int TensorRawData = 9;
    private const int TensorExternalData = 13;

    /// <summary>The graph in <paramref name="path"/>; <see cref="InvalidDataException"/> when it is not an ONNX model.</summary>
    public static GraphWeights Read(string path)
    {
        var modelPath = Path.GetFullPath(path);
        return OnnxModelFile.ReadGraph(modelPath, (reader, end) => ReadGraph(reader, end, modelPath, Path.GetDirectoryName(modelPath)!));
    }

    private static GraphWeights ReadGraph(ProtobufStream reader, long end, string modelPath, string folder)
    {
        var nodes = new List<GraphNode>();
        var initializers = new Dictionary<string, GraphInitializer>(StringComparer.Ordinal);
        while (reader.NextField(end, out var field, out var wire))
        {
            if (wire == ProtobufStream.LengthDelimited && field == GraphNodeField)
            {
                var node = OnnxNode.Read(reader, reader.MessageEnd(end));
                nodes.Add(new GraphNode(node.Name, node.OpType, node.Inputs, node.IntAttribute("transB") ?? 0));
            }
            else if (wire == ProtobufStream.LengthDelimited && field == GraphInitializerField)
            {
                var initializer = ReadInitializer(reader, reader.MessageEnd(end), modelPath, folder);
                initializers[initializer.Name] = initializer;
            }
            else
                reader.Skip(wire, end);
        }

        return new GraphWeights(nodes, initializers);
    }

    private static GraphInitializer ReadInitializer(ProtobufStream reader, long end, string modelPath, string folder)
    {
        var dims = new List<long>();
        var name = "";
        var dataType = 0;
        InitializerData data = new(null, 0, 0);
        string? location = null;
        long offset = 0, length = -1;
        while (reader.NextField(end, out var field, out var wire))
        {
            if (field == TensorDims && wire == ProtobufStream.Varint)
                dims.Add((long)reader.ReadVarint());
            else if (field == TensorDims && wire == ProtobufStream.LengthDelimited)
            {
                var packedEnd = reader.MessageEnd(end);
                while (reader.Position < packedEnd)
                    dims.Add((long)reader.ReadVarint());
            }
            else if (field == TensorDataType && wire == ProtobufStream.Varint)
                dataType = (int)reader.ReadVarint();
            else if (field == TensorName && wire == ProtobufStream.LengthDelimited)
                name = reader.ReadString(end);
            else if (field == TensorRawData && wire == ProtobufStream.LengthDelimited)
            {
                var rawEnd = reader.MessageEnd(end);
                data = new InitializerData(modelPath, reader.Position, rawEnd - reader.Position);
                reader.Seek(rawEnd);
            }
            else if (field == TensorExternalData && wire == ProtobufStream.LengthDelimited)
            {
                var (key, value) = OnnxModelFile.ReadEntry(reader, reader.MessageEnd(end));
                switch (key)
                {
                    case "location":
                        location = value;
                        break;
                    case "offset":
                        offset = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case "length":
                        length = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                        break;
                }
            }
            else
                reader.Skip(wire, end);
        }

        if (location is not null)
        {
            var external = Path.GetFullPath(Path.Combine(folder, location));
            if (!external.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidDataException($"initializer '{name}' keeps its data outside the model's folder ('{location}')");
            data = new InitializerData(external, offset, length >= 0 ? length : dims.Aggregate(1L, (n, d) => n * d) * ElementSize(dataType));
        }

        return new GraphInitializer(name, dataType, dims, data);
    }

    /// <summary>Bytes per element of an ONNX TensorProto data type (0 for strings and unknown types).</summary>
    private static int ElementSize(int dataType) => dataType switch
    {
        2 or 3 or 9 => 1,
        4 or 5 or 10 or 16 => 2,
        1 or 6 or 12 => 4,
        7 or 11 or 13 => 8,
        _ => 0,
    };
}
