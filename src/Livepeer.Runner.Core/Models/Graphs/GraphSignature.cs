namespace Livepeer.Runner.Core.Models.Graphs;

/// <summary>
/// What a graph takes and gives, read from its ONNX file: the graph inputs (initializers excluded, as ONNX Runtime
/// lists them), the outputs, and the external-data files its initializers name (relative to the graph's folder).
/// </summary>
public sealed record GraphSignature(IReadOnlyList<GraphValue> Inputs, IReadOnlyList<GraphValue> Outputs, IReadOnlyList<string> ExternalData)
{
    public GraphValue? Input(string name) => Inputs.FirstOrDefault(v => v.Name == name);

    public GraphValue? Output(string name) => Outputs.FirstOrDefault(v => v.Name == name);
}

/// <summary>
/// One input or output: its name, element type (ONNX Runtime's <c>TensorElementType</c> names: <c>Float</c>,
/// <c>Float16</c>, <c>Int64</c>, …) and shape (a number for a fixed axis, the <c>dim_param</c> name or "?" for a dynamic one).
/// </summary>
public sealed record GraphValue(string Name, string ElementType, IReadOnlyList<string> Shape)
{
    public int Rank => Shape.Count;

    public override string ToString() => $"{Name}: {ElementType}[{string.Join(", ", Shape)}]";
}
