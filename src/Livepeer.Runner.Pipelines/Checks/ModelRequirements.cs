namespace Livepeer.Runner.Pipelines.Checks;

/// <summary>
/// What a model folder of one family must hold for its engine to load it: files (one of each set of alternatives) and
/// graphs with the inputs and outputs the engine's loader reads. Each engine declares its families' requirements next
/// to its loader (<see cref="Engines.IEngine.Requirements"/>), from the same name constants the loader uses;
/// <c>models check</c> and the load-failure report read them through <see cref="ModelCheck"/>.
/// </summary>
/// <param name="Family">A short name for the report, e.g. <c>whisper</c>, <c>sdxl</c>.</param>
public sealed record ModelRequirements(string Family, IReadOnlyList<FileNeed> Files, IReadOnlyList<GraphNeed> Graphs);

/// <summary>One of <paramref name="AnyOf"/> (paths relative to the model folder) must exist.</summary>
public sealed record FileNeed(string What, IReadOnlyList<string> AnyOf)
{
    public static FileNeed Of(string what, params string[] anyOf) => new(what, anyOf);
}

/// <summary>
/// A graph: the first of <paramref name="AnyOf"/> that exists, with the inputs and outputs the loader needs.
/// <paramref name="Optional"/> graphs are checked only when present (a VAE encoder, a safety checker).
/// </summary>
public sealed record GraphNeed(string What, IReadOnlyList<string> AnyOf, IReadOnlyList<TensorNeed> Inputs, IReadOnlyList<TensorNeed> Outputs, bool Optional = false)
{
    /// <summary>An exact count of inputs and outputs, for graphs the loader feeds positionally (super-resolution).</summary>
    public (int Inputs, int Outputs)? ExactCounts { get; init; }
}

/// <summary>
/// A tensor the loader reads: one of <paramref name="AnyOf"/> by name (empty: every tensor of the graph's side), of
/// one of <paramref name="Types"/> (ONNX Runtime's element names; empty: any) and, when given, of rank <paramref name="Rank"/>.
/// </summary>
public sealed record TensorNeed(IReadOnlyList<string> AnyOf, IReadOnlyList<string> Types, int? Rank = null)
{
    public static readonly string[] FloatTypes = ["Float", "Float16", "BFloat16"];
    public static readonly string[] IdTypes = ["Int64", "Int32"];

    public static TensorNeed Named(string name, params string[] types) => new([name], types);

    public static TensorNeed Names(IEnumerable<string> names) => new([.. names], []);

    public static IReadOnlyList<TensorNeed> All(IEnumerable<string> names) => [.. names.Select(n => Named(n))];

    public string Describe() => AnyOf.Count == 0 ? "every tensor" : string.Join(" or ", AnyOf.Select(n => $"'{n}'"));
}
