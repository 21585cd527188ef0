using System.Buffers.Binary;
using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>ΔW onto initializers in their own layouts, by hand-worked cases.</summary>
public sealed class LoraMergeTests
{
    // ΔW for a linear layer with out = 2, in = 3:
    //   [[1, 2, 3],
    //    [4, 5, 6]]
    private static readonly LoraMatrix Delta = new([1, 2, 3, 4, 5, 6], [2, 3]);

    [Fact]
    public void AddInto_AWeightAsTorchStoresIt_AddsElementByElement()
    {
        float[] weight = [10, 20, 30, 40, 50, 60]; // [out 2, in 3]

        LoraMerge.AddInto(weight, [2, 3], WeightLayout.AsTorch, Delta, "gemm");

        Assert.Equal([11f, 22f, 33f, 44f, 55f, 66f], weight);
    }

    [Fact]
    public void AddInto_AMatMulWeight_AddsTheTranspose()
    {
        // MatMul's weight is [in 3, out 2]: row i holds input i's weights to both outputs, so it gets ΔW's column i.
        float[] weight = [10, 40, 20, 50, 30, 60];

        LoraMerge.AddInto(weight, [3, 2], WeightLayout.Transposed, Delta, "matmul");

        Assert.Equal([11f, 44f, 22f, 55f, 33f, 66f], weight);
    }

    [Fact]
    public void AddInto_AConvWeight_AddsInItsOwnOrder()
    {
        float[] weight = new float[2 * 1 * 1 * 2]; // [out 2, in 1, kh 1, kw 2]
        var delta = new LoraMatrix([1, 2, 3, 4], [2, 1, 1, 2]);

        LoraMerge.AddInto(weight, [2, 1, 1, 2], WeightLayout.AsTorch, delta, "conv");

        Assert.Equal([1f, 2f, 3f, 4f], weight);
    }

    [Theory]
    [InlineData(WeightLayout.AsTorch, new long[] { 3, 2 })]
    [InlineData(WeightLayout.Transposed, new long[] { 2, 3 })]
    [InlineData(WeightLayout.AsTorch, new long[] { 2, 3, 1, 1 })]
    public void AddInto_RefusesAnUpdateOfAnotherShape(WeightLayout layout, long[] dims)
    {
        var error = Assert.Throws<LoraMismatchException>(() => LoraMerge.AddInto(new float[6], dims, layout, Delta, "attn.to_q"));

        Assert.Contains("'attn.to_q'", error.Message);
    }

    [Fact]
    public void ReadFloat32_ReadsAFloat16WeightFromItsOffset()
    {
        var path = Path.GetTempFileName();
        try
        {
            var bytes = new byte[3 + 6];
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(3), (Half)1.5f);
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(5), (Half)(-2f));
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(7), (Half)0.25f);
            File.WriteAllBytes(path, bytes);

            var weight = new GraphInitializer("w", LoraMerge.OnnxFloat16, [3], new InitializerData(path, 3, 6));

            Assert.Equal([1.5f, -2f, 0.25f], LoraMerge.ReadFloat32(weight));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(10, 2)]
    public void Write_IsTheInitializersRawBytes(int dataType, int elementSize)
    {
        var weight = new GraphInitializer("w", dataType, [3], new InitializerData("model.onnx", 0, 3 * elementSize));
        var bytes = new byte[3 * elementSize];

        LoraMerge.Write([1.5f, -2f, 0.25f], weight, bytes);

        float At(int i) => elementSize == 4
            ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4))
            : (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
        Assert.Equal([1.5f, -2f, 0.25f], [At(0), At(1), At(2)]);
    }

    [Fact]
    public void ReadFloat32_RefusesOtherDataTypes()
    {
        var weight = new GraphInitializer("ids", 7, [2], new InitializerData("model.onnx", 0, 16));

        Assert.Contains("data type 7", Assert.Throws<SafetensorsFormatException>(() => LoraMerge.ReadFloat32(weight)).Message);
    }

    [Fact]
    public void Delta_ThroughTheMerge_IsUpTimesDownTimesScaleAndWeight()
    {
        // up [2×1] = [1, 2]ᵀ, down [1×3] = [1, 0, -1], scale 0.5 (alpha 0.5 / rank 1), request weight 2: ΔW = up·down.
        var module = new LoraModule(LoraComponent.Unet, "m", new LoraMatrix([1, 0, -1], [1, 3]), new LoraMatrix([1, 2], [2, 1]), 0.5f);
        float[] weight = new float[6]; // MatMul [in 3, out 2]

        LoraMerge.AddInto(weight, [3, 2], WeightLayout.Transposed, LoraDelta.Compute(module, 2f), "m");

        Assert.Equal([1f, 2f, 0f, 0f, -1f, -2f], weight);
    }
}
