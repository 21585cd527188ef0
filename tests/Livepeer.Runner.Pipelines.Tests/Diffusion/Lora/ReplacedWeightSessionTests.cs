using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Onnx;
using Livepeer.Runner.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>The two ways a LoRA set's session gets its replaced weights (OnnxSessionFactory), and what ONNX Runtime requires of each.</summary>
public sealed class ReplacedWeightSessionTests
{
    private static readonly OnnxSessionFactory Sessions = new(new RunnerSettings { ExecutionProvider = "cpu" });

    [Fact]
    public void AGraphOpenedFromItsBytes_StillFindsItsExternalData()
    {
        var path = TestPaths.Model("tiny", "sdxl", "unet", "model.onnx");

        using var session = Sessions.Create("tiny/sdxl", path, File.ReadAllBytes(path), []);

        Assert.Contains("time_ids", session.InputNames);
    }

    [Fact]
    public void AnExternalInitializer_CanOnlyReplaceAWeightKeptInExternalData()
    {
        // sd15's UNet keeps its weights in model.onnx, so they are written into its bytes instead (LoraSet).
        var path = TestPaths.Model("tiny", "sd15", "unet", "model.onnx");
        using var value = OrtValue.CreateTensorValueFromMemory(new float[16 * 64], [16, 64]);

        var error = Assert.Throws<ModelLoadException>(() => Sessions.Create("tiny/sd15", path, null, [("res0.t.weight", value)]).Dispose());

        Assert.Contains("non-external initializer", error.Message);
    }
}
