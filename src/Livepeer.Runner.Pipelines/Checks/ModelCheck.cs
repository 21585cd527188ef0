using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Pipelines.Checks;

/// <summary>
/// Checks a model folder (or a single <c>.onnx</c>) against its family's <see cref="ModelRequirements"/> without
/// loading weights: files are looked for, every graph's inputs and outputs are read from its protobuf header
/// (<see cref="OnnxGraphReader"/>), and the external-data files its weights name must exist.
/// </summary>
public static class ModelCheck
{
    /// <summary>The report for <paramref name="location"/>, with the requirements of <paramref name="engine"/>, else of the first engine that recognises it.</summary>
    public static ModelCheckReport Run(string location, EngineRegistry engines, IEngine? engine = null)
    {
        var report = new ModelCheckReport(location);
        if (!File.Exists(location) && !Directory.Exists(location))
        {
            report.Problem(location, "does not exist");
            return report;
        }

        var requirements = engine is not null ? engine.Requirements(location) : Recognise(location, engines);
        report.Family = requirements?.Family;
        var folder = Directory.Exists(location) ? location : Path.GetDirectoryName(location)!;
        var checkedGraphs = new HashSet<string>(StringComparer.Ordinal);
        if (requirements is null)
            report.Problem(".", engine is null
                ? "no engine of this build recognises this folder (see MODEL-FORMATS and the README for the layouts)"
                : $"not a model folder the {engine.Name} engine reads");
        else
        {
            foreach (var need in requirements.Files)
                CheckFile(report, folder, need);
            foreach (var need in requirements.Graphs)
                CheckGraph(report, folder, need, checkedGraphs);
        }

        // Every other graph must at least be readable and have its external data.
        IEnumerable<string> others = File.Exists(location)
            ? [location]
            : Directory.EnumerateFiles(location, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        foreach (var graph in others.Where(g => !checkedGraphs.Contains(Path.GetFullPath(g))))
        {
            if (Read(report, folder, graph) is { } signature)
                report.Ok(Relative(folder, graph), Describe(signature));
        }

        return report;
    }

    /// <summary>
    /// The requirements of the engine that reads this folder. Layouts overlap (a single <c>model.onnx</c> is both a
    /// super-resolution graph and an LLM), so every engine that recognises the folder is asked and the one whose
    /// requirements it meets best wins, ties to the registry's order; families without an engine come last.
    /// </summary>
    private static ModelRequirements? Recognise(string location, EngineRegistry engines)
    {
        var candidates = engines.Engines.Select(e => e.Requirements(location)).OfType<ModelRequirements>().ToList();
        return candidates.Count <= 1 ? candidates.FirstOrDefault() : candidates.MinBy(r => Run(location, r).Problems);
    }

    private static ModelCheckReport Run(string location, ModelRequirements requirements)
    {
        var report = new ModelCheckReport(location);
        var folder = Directory.Exists(location) ? location : Path.GetDirectoryName(location)!;
        foreach (var need in requirements.Files)
            CheckFile(report, folder, need);
        foreach (var need in requirements.Graphs)
            CheckGraph(report, folder, need, []);
        return report;
    }

    private static void CheckFile(ModelCheckReport report, string folder, FileNeed need)
    {
        var found = need.AnyOf.FirstOrDefault(p => File.Exists(Path.Combine(folder, p)));
        if (found is null)
            report.Problem(string.Join(" | ", need.AnyOf), $"missing ({need.What})");
        else
            report.Ok(found, need.What);
    }

    private static void CheckGraph(ModelCheckReport report, string folder, GraphNeed need, HashSet<string> checkedGraphs)
    {
        var found = need.AnyOf.Select(p => Path.Combine(folder, p)).FirstOrDefault(File.Exists);
        if (found is null)
        {
            if (!need.Optional)
                report.Problem(string.Join(" | ", need.AnyOf), $"missing ({need.What})");
            return;
        }

        checkedGraphs.Add(Path.GetFullPath(found));
        var name = Relative(folder, found);
        if (Read(report, folder, found) is not { } signature)
            return;

        var problems = new List<string>();
        if (need.ExactCounts is { } counts && (signature.Inputs.Count != counts.Inputs || signature.Outputs.Count != counts.Outputs))
            problems.Add($"has {signature.Inputs.Count} inputs and {signature.Outputs.Count} outputs; the {need.What} has {counts.Inputs} and {counts.Outputs}");
        problems.AddRange(need.Inputs.SelectMany(t => Mismatches(t, signature.Inputs, "input")));
        problems.AddRange(need.Outputs.SelectMany(t => Mismatches(t, signature.Outputs, "output")));
        if (problems.Count == 0)
            report.Ok(name, $"{need.What}: {Describe(signature)}");
        foreach (var problem in problems)
            report.Problem(name, $"{need.What}: {problem} (it has {Describe(signature)})");
    }

    private static IEnumerable<string> Mismatches(TensorNeed need, IReadOnlyList<GraphValue> values, string side)
    {
        var matched = need.AnyOf.Count == 0 ? values : values.Where(v => need.AnyOf.Contains(v.Name)).Take(1).ToList();
        if (matched.Count == 0)
        {
            yield return $"no {side} {need.Describe()}";
            yield break;
        }

        foreach (var value in matched)
        {
            if (need.Types.Count > 0 && !need.Types.Contains(value.ElementType))
                yield return $"{side} '{value.Name}' is {value.ElementType}; expected {string.Join(" or ", need.Types)}";
            if (need.Rank is { } rank && value.Rank != rank)
                yield return $"{side} '{value.Name}' has rank {value.Rank}; expected {rank}";
        }
    }

    private static GraphSignature? Read(ModelCheckReport report, string folder, string graph)
    {
        GraphSignature signature;
        try
        {
            signature = OnnxGraphReader.Read(graph);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or OverflowException)
        {
            report.Problem(Relative(folder, graph), $"not a readable ONNX graph: {e.Message}");
            return null;
        }

        var graphFolder = Path.GetDirectoryName(graph)!;
        foreach (var data in signature.ExternalData.Where(d => !File.Exists(Path.Combine(graphFolder, d))))
            report.Problem(Relative(folder, graph), $"its weights are in '{data}', which is missing beside it");
        return signature;
    }

    private static string Describe(GraphSignature signature) =>
        $"inputs {string.Join(", ", signature.Inputs)}; outputs {string.Join(", ", signature.Outputs)}" +
        (signature.ExternalData.Count > 0 ? $"; external data {string.Join(", ", signature.ExternalData)}" : "");

    private static string Relative(string folder, string path) => Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
}
