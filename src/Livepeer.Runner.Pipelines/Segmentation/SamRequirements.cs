using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Pipelines.Checks;
using static Livepeer.Runner.Pipelines.Checks.TensorNeed;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>
/// What <see cref="SamGraphs.Open"/> looks for, by graphs rather than names: among the folder's candidate graphs
/// (<see cref="SamGraphs.CandidateFiles"/>) the prompt decoder is the one that takes a dialect's prompt inputs (the
/// decoders' own <c>RequiredInputs</c>/<c>RequiredOutputs</c>), and the image encoder the one float image in that gives
/// the decoder's embeddings.
/// </summary>
internal static class SamRequirements
{
    private static readonly (string Dialect, string[] Inputs, string[] Outputs)[] Decoders =
    [
        ("SAM v1", SamV1Decoder.RequiredInputs, SamV1Decoder.RequiredOutputs),
        ("SAM 2", Sam2Decoder.RequiredInputs, Sam2Decoder.RequiredOutputs),
        ("SAM 2 (transformers.js)", Sam2TransformersJsDecoder.RequiredInputs, Sam2TransformersJsDecoder.RequiredOutputs),
    ];

    public static ModelRequirements? Of(string location)
    {
        if (!Directory.Exists(location))
            return null;
        var graphs = new List<(string Path, GraphSignature Signature)>();
        foreach (var file in SamGraphs.CandidateFiles(location))
        {
            try
            {
                graphs.Add((file, OnnxGraphReader.Read(file)));
            }
            catch (InvalidDataException)
            {
                // ModelCheck reports unreadable graphs itself.
            }
        }

        // The decoder is the graph that takes most of some dialect's prompt inputs; none with a prompt input: not SAM.
        var best = graphs
            .SelectMany(g => Decoders.Select(d => (Graph: g, Decoder: d, Score: d.Inputs.Count(n => g.Signature.Input(n) is not null))))
            .Where(c => c.Decoder.Inputs.Any(n => n.StartsWith("point", StringComparison.Ordinal) || n.StartsWith("input_point", StringComparison.Ordinal)) && c.Score > 0
                        && c.Decoder.Inputs.Where(n => n.Contains("point", StringComparison.Ordinal)).Any(n => c.Graph.Signature.Input(n) is not null))
            .OrderByDescending(c => c.Score)
            .FirstOrDefault();
        if (best.Graph.Path is null)
            return null;

        var decoder = Relative(location, best.Graph.Path);
        var embeddings = best.Decoder.Dialect switch
        {
            "SAM v1" => [],
            "SAM 2" => best.Decoder.Inputs.Where(n => n.StartsWith("image_embed", StringComparison.Ordinal) || n.StartsWith("high_res_feats", StringComparison.Ordinal)).ToArray(),
            _ => best.Graph.Signature.Inputs.Select(i => i.Name).Where(n => n.StartsWith("image_embeddings.", StringComparison.Ordinal)).ToArray(),
        };
        var encoder = graphs.Where(g => g.Path != best.Graph.Path)
            .Select(g => g.Path)
            .FirstOrDefault(p => graphs.Single(g => g.Path == p).Signature is { Inputs.Count: 1 } s && s.Inputs[0] is { ElementType: "Float", Rank: 4 });
        GraphNeed encoderNeed = new("image encoder", encoder is null ? ["(a graph taking one float image)"] : [Relative(location, encoder)],
            [new TensorNeed([], ["Float"], 4)], embeddings.Length == 0 ? [new TensorNeed([], [], 4)] : All(embeddings));
        return new ModelRequirements(best.Decoder.Dialect, [],
            [new GraphNeed("prompt decoder", [decoder], All(best.Decoder.Inputs), All(best.Decoder.Outputs)), encoderNeed]);
    }

    private static string Relative(string folder, string path) => Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
}
