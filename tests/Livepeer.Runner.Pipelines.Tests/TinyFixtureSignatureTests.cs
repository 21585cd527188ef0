using System.Security.Cryptography;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests;

/// <summary>
/// The committed tiny fixtures, opened in ONNX Runtime on the CPU, keep the interfaces of the real exports
/// (the table in <see cref="TinyFixtureSignatures"/>), their size budget and their checksums.
/// </summary>
public sealed class TinyFixtureSignatureTests
{
    private const long SizeBudgetBytes = 30_000_000;

    private static readonly string TinyRoot = TestPaths.Model("tiny");

    public static TheoryData<string> Fixtures => new(TinyFixtureSignatures.All.Keys);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_HasTheSignatureOfItsRealExport(string fixture)
    {
        var expected = TinyFixtureSignatures.All[fixture];

        // By path, so that ONNX Runtime finds model.onnx_data beside the graphs that have one.
        using var session = new InferenceSession(PathOf(fixture));

        Assert.Equal(expected.Inputs, Describe(session.InputNames, session.InputMetadata));
        Assert.Equal(expected.Outputs, Describe(session.OutputNames, session.OutputMetadata));
    }

    [Fact]
    public void Table_CoversExactlyTheOnnxFilesUnderModelsTiny()
    {
        var onDisk = Directory.EnumerateFiles(TinyRoot, "*.onnx", SearchOption.AllDirectories).Select(RelativeName).ToList();
        var inTable = TinyFixtureSignatures.All.Keys;

        Assert.Empty(onDisk.Except(inTable, StringComparer.Ordinal));
        Assert.Empty(inTable.Except(onDisk, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("llm-llama/model.onnx", "attention_mask", 0, 1)]
    [InlineData("llm-llama/model.onnx", "past_key_values.0.key", 0, 2)]
    [InlineData("llm-qwen/model.onnx", "past_key_values.1.value", 0, 2)]
    [InlineData("llm-qwen/model.onnx", "present.1.value", 0, 2)]
    [InlineData("whisper-tiny/decoder_model_merged.onnx", "past_key_values.0.decoder.key", 0, 2)]
    [InlineData("whisper-tiny/decoder_model_merged.onnx", "past_key_values.0.encoder.key", 0, 2)]
    [InlineData("whisper-large-v3/decoder_with_past_model.onnx", "past_key_values.1.decoder.value", 0, 2)]
    [InlineData("whisper-large-v3/encoder_model.onnx", "input_features", 0)]
    [InlineData("whisper-tiny-timestamped/onnx/decoder_with_past_model.onnx", "cross_attentions.1", 0, 2, 3)]
    [InlineData("sd15/unet/model.onnx", "sample", 0, 2, 3)]
    [InlineData("sdxl/unet/model.onnx", "sample", 0, 2, 3)]
    [InlineData("svd/unet/model.onnx", "sample", 0, 1, 3, 4)]
    [InlineData("sd15/vae_decoder/model.onnx", "latent_sample", 0, 2, 3)]
    [InlineData("flux-schnell/transformer/model.onnx", "hidden_states", 0, 1)]
    [InlineData("flux-schnell/transformer/model.onnx", "img_ids", 0)]
    [InlineData("flux-dev/transformer/model.onnx", "encoder_hidden_states", 0, 1)]
    [InlineData("flux-dev/transformer/model.onnx", "txt_ids", 0)]
    [InlineData("sd3/transformer/model.onnx", "hidden_states", 0, 2, 3)]
    [InlineData("sd3/transformer/model.onnx", "timestep", 0)]
    [InlineData("sd3/text_encoder_3/model.onnx", "input_ids", 0, 1)]
    [InlineData("parler-tts/decoder_model_merged.onnx", "input_ids", 0, 1)]
    [InlineData("sam2/decoder.onnx", "point_coords", 0, 1)]
    [InlineData("sam2-transformersjs/onnx/prompt_encoder_mask_decoder.onnx", "input_points", 0, 1, 2)]
    [InlineData("sam2-transformersjs/onnx/prompt_encoder_mask_decoder.onnx", "input_boxes", 0, 1)]
    [InlineData("kokoro/onnx/model.onnx", "input_ids", 1)]
    public void KeyTensor_IsDynamicOnExactlyTheAxesThatVary(string fixture, string tensor, params int[] dynamicAxes)
    {
        using var session = new InferenceSession(PathOf(fixture));
        var metadata = session.InputMetadata.TryGetValue(tensor, out var input) ? input : session.OutputMetadata[tensor];

        // ONNX Runtime reports a symbolic (dim_param) axis as -1; every other axis must keep its fixed size.
        var dynamic = Enumerable.Range(0, metadata.Dimensions.Length).Where(axis => metadata.Dimensions[axis] == -1);

        Assert.Equal(dynamicAxes, dynamic);
    }

    [Theory]
    [InlineData("llm-qwen/model.onnx")]
    [InlineData("sdxl/unet/model.onnx")]
    [InlineData("sdxl-lightning/unet/model.onnx")]
    public void ExternalDataFixture_CannotLoadWithoutItsModelOnnxData(string fixture)
    {
        // Proves the weights really live in model.onnx_data, so the signature theory exercises external-data loading.
        var alone = Directory.CreateTempSubdirectory("tiny-graph-alone-");
        try
        {
            File.Copy(PathOf(fixture), Path.Combine(alone.FullName, "model.onnx"));

            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(PathOf(fixture))!, "model.onnx_data")));
            Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(Path.Combine(alone.FullName, "model.onnx")).Dispose());
        }
        finally
        {
            alone.Delete(recursive: true);
        }
    }

    [Fact]
    public void ModelsTiny_StaysUnder30MB()
    {
        var total = Directory.EnumerateFiles(TinyRoot, "*", SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length);

        Assert.True(total < SizeBudgetBytes, $"models/tiny holds {total:N0} bytes; the budget is {SizeBudgetBytes:N0}");
    }

    [Fact]
    public void Sha256Sums_MatchEveryListedFile()
    {
        var mismatched = ReadSha256Sums()
            .Where(entry => !File.Exists(PathOf(entry.File)) || Sha256Of(PathOf(entry.File)) != entry.Sum)
            .Select(entry => entry.File)
            .ToList();

        Assert.Empty(mismatched);
    }

    [Fact]
    public void Sha256Sums_ListsEveryGeneratedFile()
    {
        // The generator sums every file it writes, but not SHA256SUMS itself nor the hand-written README.
        var listed = ReadSha256Sums().Select(entry => entry.File).ToHashSet(StringComparer.Ordinal);
        var unlisted = Directory.EnumerateFiles(TinyRoot, "*", SearchOption.AllDirectories)
            .Select(RelativeName)
            .Where(file => file is not ("SHA256SUMS" or "README.md") && !listed.Contains(file))
            .ToList();

        Assert.NotEmpty(listed);
        Assert.Empty(unlisted);
    }

    private static IEnumerable<TensorSignature> Describe(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        names.Select(name => new TensorSignature(name, metadata[name].ElementDataType, metadata[name].Dimensions.Length));

    private static IEnumerable<(string Sum, string File)> ReadSha256Sums() =>
        File.ReadLines(Path.Combine(TinyRoot, "SHA256SUMS"))
            .Where(line => line.Length > 0)
            .Select(line => line.Split("  ", 2))
            .Select(parts => (parts[0], parts[1]));

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string PathOf(string relativeName) => Path.Combine([TinyRoot, .. relativeName.Split('/')]);

    private static string RelativeName(string path) => Path.GetRelativePath(TinyRoot, path).Replace(Path.DirectorySeparatorChar, '/');
}
