namespace Livepeer.Runner.Core.Models;

/// <summary>
/// What a model is expected to occupy before it is loaded: its weight files, scaled for ONNX Runtime's overhead. After
/// the load the measured growth replaces the estimate in the ledger (see <see cref="ModelManager"/>). Activations are
/// not part of a model's entry: each running request reserves its own.
/// </summary>
/// <param name="WeightBytes">Bytes of the model's ONNX graphs and external data on disk.</param>
/// <param name="ActivationBytes">The engine's default estimate of one request's intermediate tensors, for requests whose pipeline gives none.</param>
public sealed record ModelFootprint(long WeightBytes, long ActivationBytes)
{
    /// <summary>ONNX Runtime holds each weight about once; pre-packing and arena rounding add up to a quarter.</summary>
    public const double WeightFactor = 1.25;

    public long EstimateBytes => (long)(WeightBytes * WeightFactor);

    /// <summary>The footprint once loaded: the measured growth, never less than the weights themselves.</summary>
    public long MeasuredBytes(long growth) => Math.Max(growth, WeightBytes);

    /// <summary>Sums the ONNX graphs and external-data files of a model folder, or of one .onnx file and its data.</summary>
    public static long WeightBytesAt(string location)
    {
        if (File.Exists(location))
            return GraphBytes(location);

        return Directory.Exists(location)
            ? Directory.EnumerateFiles(location, "*", SearchOption.AllDirectories).Where(IsWeightFile).Sum(f => new FileInfo(f).Length)
            : 0;
    }

    /// <summary>One .onnx graph and its external data (<c>model.onnx_data</c>, <c>model.onnx.data</c>, …).</summary>
    internal static long GraphBytes(string graph)
    {
        var name = Path.GetFileName(graph);
        var data = Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(graph))!, name + "*")
            .Where(f => !string.Equals(Path.GetFileName(f), name, StringComparison.Ordinal) && IsWeightFile(f));
        return new FileInfo(graph).Length + data.Sum(f => new FileInfo(f).Length);
    }

    private static bool IsWeightFile(string path)
    {
        var name = Path.GetFileName(path);
        return name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".onnx_data", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".onnx.data", StringComparison.OrdinalIgnoreCase);
    }
}
