using System.Text.RegularExpressions;

namespace Livepeer.Runner.Models;

/// <summary>
/// Which files of a repository a pull fetches. With <c>--include</c> globs: the files they match (fnmatch, as
/// huggingface_hub's <c>allow_patterns</c>: <c>*</c> also crosses <c>/</c>; a pattern ending in <c>/</c> takes the
/// folder). Without: what the engines read and nothing else — the configuration and tokenizer files, and one dtype of
/// each ONNX graph with its external data; no PyTorch/safetensors weights, no other dtypes, and no split decoders when
/// the merged one is there (every engine prefers it). The dtype is a file-name suffix in onnx-community exports
/// (<c>onnx/model_fp16.onnx</c>); a graph that has no file of the asked dtype is taken in fp32.
/// </summary>
internal static class FileSelection
{
    /// <summary>The dtypes onnx-community / transformers.js exports publish, by their file suffix (fp32 has none).</summary>
    public static IReadOnlyDictionary<string, string> DtypeSuffixes { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["fp32"] = "",
        ["fp16"] = "_fp16",
        ["q4"] = "_q4",
        ["q4f16"] = "_q4f16",
        ["int8"] = "_int8",
        ["uint8"] = "_uint8",
        ["quantized"] = "_quantized",
        ["bnb4"] = "_bnb4",
    };

    /// <summary>Small files the engines read: configs, tokenizers, templates, voice tables (Kokoro's <c>voices/*.bin</c>).</summary>
    private static readonly string[] SupportFiles =
        ["*.json", "*.txt", "*.model", "*.jinja", "*.tiktoken", "voices/*.bin", "voices/*.pt.npy"];

    private static readonly string[] SplitDecoders = ["decoder_model", "decoder_with_past_model"];

    public static Selection Select(IReadOnlyList<HubFile> files, IReadOnlyList<string> includes, string dtype)
    {
        if (includes.Count > 0)
        {
            var matchers = includes.Select(Glob).ToList();
            return new Selection([.. files.Where(f => matchers.Any(m => m.IsMatch(f.Path)))], new Dictionary<string, string>(), []);
        }

        var suffix = DtypeSuffixes[dtype];
        var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var support = SupportFiles.Select(Glob).ToList();
        var chosen = new SortedDictionary<string, HubFile>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => support.Any(m => m.IsMatch(f.Path))))
            chosen[file.Path] = file;

        var notes = new List<string>();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        var graphs = files.Where(f => f.Path.EndsWith(".onnx", StringComparison.Ordinal)).Select(f => f.Path).ToList();
        foreach (var stem in graphs.Select(Stem).Distinct(StringComparer.Ordinal))
        {
            if (IsSplitDecoderWithMerged(stem, graphs))
                continue;
            var wanted = stem + suffix + ".onnx";
            var graph = byPath.ContainsKey(wanted) ? wanted : stem + ".onnx";
            if (!byPath.ContainsKey(graph))
            {
                notes.Add($"{stem}: no {dtype} or fp32 file; its files are {string.Join(", ", graphs.Where(g => Stem(g) == stem))}");
                continue;
            }

            if (graph != wanted)
                notes.Add($"{graph}: no {dtype} file of this graph; taking fp32");
            else if (suffix.Length > 0)
                aliases[stem + ".onnx"] = graph; // the engines open the plain name
            foreach (var file in files.Where(f => f.Path == graph || IsExternalDataOf(f.Path, graph)))
                chosen[file.Path] = file;
        }

        return new Selection([.. chosen.Values], aliases, notes);
    }

    /// <summary>The graph's name without a dtype suffix: <c>onnx/decoder_model_merged_q4f16.onnx</c> → <c>onnx/decoder_model_merged</c>.</summary>
    private static string Stem(string graphPath)
    {
        var stem = graphPath[..^".onnx".Length];
        foreach (var suffix in DtypeSuffixes.Values.Where(s => s.Length > 0).OrderByDescending(s => s.Length))
        {
            if (stem.EndsWith(suffix, StringComparison.Ordinal))
                return stem[..^suffix.Length];
        }

        return stem;
    }

    private static bool IsSplitDecoderWithMerged(string stem, IReadOnlyList<string> graphs)
    {
        var folder = stem.Contains('/', StringComparison.Ordinal) ? stem[..(stem.LastIndexOf('/') + 1)] : "";
        var name = stem[folder.Length..];
        return SplitDecoders.Contains(name) && graphs.Any(g => Stem(g) == folder + "decoder_model_merged");
    }

    /// <summary>optimum's <c>model.onnx_data</c>, transformers.js' <c>model.onnx_data_1</c>…, and <c>model.onnx.data</c>.</summary>
    private static bool IsExternalDataOf(string path, string graph) =>
        path == graph + "_data" || path.StartsWith(graph + "_data_", StringComparison.Ordinal) || path == graph + ".data";

    /// <summary>fnmatch: <c>*</c> any run of characters (slashes too), <c>?</c> one, <c>[…]</c> a set; a trailing <c>/</c> means the folder's contents.</summary>
    public static Regex Glob(string pattern)
    {
        if (pattern.EndsWith('/'))
            pattern += "*";
        var regex = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    regex.Append(".*");
                    break;
                case '?':
                    regex.Append('.');
                    break;
                case '[' when pattern.IndexOf(']', i + 1) is var close and > 0:
                    var set = pattern[(i + 1)..close];
                    regex.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = close;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(regex.Append(@"\z").ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}

/// <summary>
/// The files to fetch; <paramref name="Aliases"/>: snapshot names the engines open (<c>onnx/model.onnx</c>) linked to
/// the dtype's graph (<c>onnx/model_fp16.onnx</c>), the one addition to huggingface_hub's layout; <paramref name="Notes"/>
/// for the operator.
/// </summary>
internal sealed record Selection(IReadOnlyList<HubFile> Files, IReadOnlyDictionary<string, string> Aliases, IReadOnlyList<string> Notes);
