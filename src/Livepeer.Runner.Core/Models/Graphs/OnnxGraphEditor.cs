namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>
/// A node as <see cref="OnnxGraphEditor"/> reads and writes it: name, operator, inputs, outputs, domain, and its
/// attributes as their AttributeProto bytes, copied verbatim when the node is written again.
/// </summary>
public sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyList<byte[]> Attributes, string Domain = "")
{
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeName = 3;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    private const int NodeDomain = 7;
    private const int AttributeName = 1;
    private const int AttributeFloat = 2;
    private const int AttributeInt = 3;

    /// <summary>
    /// Reads a NodeProto ending at <paramref name="end"/> (onnx.proto3: input 1, output 2, name 3, op_type 4,
    /// attribute 5, domain 7); its other fields are skipped.
    /// </summary>
    internal static OnnxNode Read(ProtobufStream reader, long end)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<byte[]>();
        string name = "", opType = "", domain = "";
        while (reader.NextField(end, out var field, out var wire))
        {
            if (wire != ProtobufStream.LengthDelimited)
                reader.Skip(wire, end);
            else if (field == NodeInput)
                inputs.Add(reader.ReadString(end));
            else if (field == NodeOutput)
                outputs.Add(reader.ReadString(end));
            else if (field == NodeName)
                name = reader.ReadString(end);
            else if (field == NodeOpType)
                opType = reader.ReadString(end);
            else if (field == NodeDomain)
                domain = reader.ReadString(end);
            else if (field == NodeAttribute)
                attributes.Add(reader.ReadBytes(end));
            else
                reader.Skip(wire, end);
        }

        return new OnnxNode(name, opType, inputs, outputs, attributes, domain);
    }

    /// <summary>Writes the node's fields as <see cref="Read"/> reads them (other fields it had are not kept).</summary>
    internal void Write(ProtobufWriter writer)
    {
        foreach (var input in Inputs)
            writer.String(NodeInput, input);
        foreach (var output in Outputs)
            writer.String(NodeOutput, output);
        writer.String(NodeName, Name);
        writer.String(NodeOpType, OpType);
        foreach (var attribute in Attributes)
            writer.Bytes(NodeAttribute, attribute);
        if (Domain.Length > 0)
            writer.String(NodeDomain, Domain);
    }

    /// <summary>The integer attribute <paramref name="name"/> (<c>group</c>, <c>transA</c>), or null when the node has none.</summary>
    public long? IntAttribute(string name) => Attribute(name, AttributeInt, ProtobufStream.Varint, r => (long)r.ReadVarint());

    /// <summary>The float attribute <paramref name="name"/> (Gemm's <c>alpha</c>), or null when the node has none.</summary>
    public float? FloatAttribute(string name) => Attribute(name, AttributeFloat, ProtobufStream.Fixed32, r => BitConverter.Int32BitsToSingle((int)r.ReadFixed32()));

    private T? Attribute<T>(string name, int valueField, int valueWire, Func<ProtobufStream, T> read)
        where T : struct
    {
        foreach (var attribute in Attributes)
        {
            var reader = new ProtobufStream(new MemoryStream(attribute, writable: false));
            string? attributeName = null;
            T? value = null;
            while (reader.NextField(attribute.Length, out var field, out var wire))
            {
                if (field == AttributeName && wire == ProtobufStream.LengthDelimited)
                    attributeName = reader.ReadString(attribute.Length);
                else if (field == valueField && wire == valueWire)
                    value = read(reader);
                else
                    reader.Skip(wire, attribute.Length);
            }

            if (attributeName == name)
                return value;
        }

        return null;
    }
}

/// <summary>One dimension of an added input's shape: a fixed size, or a named (symbolic) one.</summary>
public readonly record struct OnnxDimension(long Value, string? Param)
{
    public static OnnxDimension Fixed(long value) => new(value, null);

    public static OnnxDimension Named(string param) => new(0, param);
}

/// <summary>A tensor input to add to a graph: its name, ONNX element type (1 float, 10 float16) and shape.</summary>
public sealed record OnnxTensorInput(string Name, int ElementType, IReadOnlyList<OnnxDimension> Shape);

/// <summary>
/// Rewrites an ONNX model's main graph in its protobuf bytes: each node may be replaced by a list of nodes written in
/// its place (so the graph stays topologically sorted), and inputs are added. Everything else — initializers, their
/// external-data references, other nodes, opsets, metadata — is copied byte for byte, so a graph whose weights lie in
/// the file keeps them without their values ever being decoded. Field numbers are onnx.proto3's: ModelProto graph 7;
/// GraphProto node 1, input 11; NodeProto input 1, output 2, name 3, op_type 4, attribute 5, domain 7; ValueInfoProto
/// name 1, type 2; TypeProto tensor_type 1; TypeProto.Tensor elem_type 1, shape 2; TensorShapeProto dim 1;
/// Dimension dim_value 1, dim_param 2.
/// </summary>
public static class OnnxGraphEditor
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1;
    private const int GraphInput = 11;

    /// <summary>
    /// <paramref name="model"/> with every node for which <paramref name="expand"/> returns a list replaced by that list,
    /// and <paramref name="addedInputs"/> appended to the graph's inputs. <see cref="InvalidDataException"/> when the
    /// bytes are not an ONNX model.
    /// </summary>
    public static byte[] Rewrite(byte[] model, Func<OnnxNode, IReadOnlyList<OnnxNode>?> expand, IReadOnlyList<OnnxTensorInput> addedInputs)
    {
        var reader = new ProtobufStream(new MemoryStream(model, writable: false));
        while (true)
        {
            var tagStart = (int)reader.Position;
            if (!reader.NextField(model.Length, out var field, out var wire))
                break;
            if (field != ModelGraph || wire != ProtobufStream.LengthDelimited)
            {
                reader.Skip(wire, model.Length);
                continue;
            }

            var graphEnd = (int)reader.MessageEnd(model.Length);
            var graphStart = (int)reader.Position;
            var pieces = GraphPieces(model, reader, graphEnd, expand);
            pieces.AddRange(addedInputs.Select(input =>
            {
                var writer = new ProtobufWriter();
                writer.Message(GraphInput, w => WriteInput(w, input));
                return new ReadOnlyMemory<byte>(writer.ToArray());
            }));
            return Assemble(model, tagStart, graphEnd, pieces);
        }

        throw new InvalidDataException("the model has no graph (not an ONNX model?)");
    }

    /// <summary>The graph's fields in order, each either a slice of <paramref name="model"/> or a rewritten node list.</summary>
    private static List<ReadOnlyMemory<byte>> GraphPieces(byte[] model, ProtobufStream reader, int graphEnd, Func<OnnxNode, IReadOnlyList<OnnxNode>?> expand)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        var kept = (int)reader.Position;
        while (reader.Position < graphEnd)
        {
            var fieldStart = (int)reader.Position;
            if (!reader.NextField(graphEnd, out var field, out var wire))
                break;
            if (field != GraphNode || wire != ProtobufStream.LengthDelimited)
            {
                reader.Skip(wire, graphEnd);
                continue;
            }

            var nodeEnd = (int)reader.MessageEnd(graphEnd);
            var replacement = expand(OnnxNode.Read(reader, nodeEnd));
            reader.Seek(nodeEnd);
            if (replacement is null)
                continue;

            pieces.Add(model.AsMemory(kept, fieldStart - kept));
            var writer = new ProtobufWriter();
            foreach (var node in replacement)
                writer.Message(GraphNode, node.Write);
            pieces.Add(writer.ToArray());
            kept = nodeEnd;
        }

        pieces.Add(model.AsMemory(kept, graphEnd - kept));
        return pieces;
    }

    /// <summary>The new model: the fields before the graph, the graph's tag and new length, its pieces, the fields after.</summary>
    private static byte[] Assemble(byte[] model, int tagStart, int graphEnd, List<ReadOnlyMemory<byte>> pieces)
    {
        var prefix = new ProtobufWriter();
        prefix.LengthPrefix(ModelGraph, pieces.Sum(p => (long)p.Length));
        var result = new byte[checked(tagStart + prefix.Length + pieces.Sum(p => (long)p.Length) + (model.Length - graphEnd))];
        var at = 0;
        foreach (var piece in new ReadOnlyMemory<byte>[] { model.AsMemory(0, tagStart), prefix.ToArray() }.Concat(pieces).Append(model.AsMemory(graphEnd)))
        {
            piece.Span.CopyTo(result.AsSpan(at));
            at += piece.Length;
        }

        return result;
    }

    private static void WriteInput(ProtobufWriter writer, OnnxTensorInput input)
    {
        writer.String(1, input.Name);
        writer.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, input.ElementType);
            tensor.Message(2, shape =>
            {
                foreach (var dim in input.Shape)
                {
                    shape.Message(1, d =>
                    {
                        if (dim.Param is { } param)
                            d.String(2, param);
                        else
                            d.Varint(1, dim.Value);
                    });
                }
            });
        }));
    }
}
