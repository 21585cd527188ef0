using Livepeer.Runner.Core.Models.Graphs;
using Livepeer.Runner.Pipelines.Diffusion.Lora;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>The factors a set feeds a branch, against layouts and products worked by hand.</summary>
public sealed class LoraBranchFactorsTests
{
    private static LoraModule Module(float[] down, int[] downShape, float[] up, int[] upShape, float scale) =>
        new(LoraComponent.Unet, "m", new LoraMatrix(down, downShape), new LoraMatrix(up, upShape), scale);

    private static LoraTarget Target(WeightLayout layout, int dataType, params long[] dims) =>
        new("m", "/m/Op", new GraphInitializer("w", dataType, dims, new InitializerData("model.onnx", 0, 0)), layout);

    private static float[] Values(OrtValue value) => [.. value.GetTensorDataAsSpan<float>()];

    private static long[] Shape(OrtValue value) => value.GetTensorTypeAndShape().Shape;

    [Fact]
    public void Stack_Linear_IsDownTransposed_AndUpScaledAndTransposed()
    {
        // down 2×3 = [[1,2,3],[4,5,6]] (rank 2, in 3), up 2×2 = [[1,2],[3,4]] (out 2, rank 2); scale ½ × weight 2 = 1.
        var module = Module([1, 2, 3, 4, 5, 6], [2, 3], [1, 2, 3, 4], [2, 2], 0.5f);

        using var factors = LoraBranchFactors.Stack(Target(WeightLayout.Transposed, 1, 3, 2), [(module, 2f)]);

        Assert.Equal([3L, 2], Shape(factors.Down)); // [in, rank]
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], Values(factors.Down));
        Assert.Equal([2L, 2], Shape(factors.Up)); // [rank, out], ×(½·2)
        Assert.Equal([1f, 3f, 2f, 4f], Values(factors.Up));
        Assert.Equal(10 * 4, factors.Bytes);
    }

    [Fact]
    public void Stack_TwoAdapters_StackTheirRanks_SoTheBranchAddsBothUpdates()
    {
        // x·D·U = x·(Σ w·s·up·down)ᵀ: with x = [1, 1], adapter a gives up_a·down_a·x = [3]·2 = 6 (w 2), b gives 10·1 = 10.
        var a = Module([1, 2], [1, 2], [1], [1, 1], 1f); // ΔW = [[1, 2]]
        var b = Module([5, 5], [1, 2], [2], [1, 1], 0.5f); // ΔW = ½·[[10, 10]] = [[5, 5]]

        using var factors = LoraBranchFactors.Stack(Target(WeightLayout.AsTorch, 1, 1, 2), [(a, 2f), (b, 1f)]);

        var down = Values(factors.Down); // [in 2, rank 2]
        var up = Values(factors.Up); // [rank 2, out 1]
        float[] x = [1, 1];
        var low = new[] { (x[0] * down[0]) + (x[1] * down[2]), (x[0] * down[1]) + (x[1] * down[3]) };
        Assert.Equal(6f + 10f, (low[0] * up[0]) + (low[1] * up[1]));
        Assert.Equal([2L, 2], Shape(factors.Down));
    }

    [Fact]
    public void Stack_Conv_KeepsDownAsStored_AndUpOneByOne()
    {
        // A 3×3 conv with out 2, in 1, rank 1: down [1, 1, 3, 3], up [2, 1, 1, 1] = [1, -1]; scale 2.
        var down = Enumerable.Range(1, 9).Select(i => (float)i).ToArray();
        var module = Module(down, [1, 1, 3, 3], [1, -1], [2, 1, 1, 1], 2f);

        using var factors = LoraBranchFactors.Stack(Target(WeightLayout.AsTorch, 1, 2, 1, 3, 3), [(module, 1f)]);

        Assert.Equal([1L, 1, 3, 3], Shape(factors.Down));
        Assert.Equal(down, Values(factors.Down));
        Assert.Equal([2L, 1, 1, 1], Shape(factors.Up));
        Assert.Equal([2f, -2f], Values(factors.Up));
    }

    [Fact]
    public void Stack_ForAFloat16Weight_GivesFloat16Factors()
    {
        var module = Module([1, 2], [1, 2], [3], [1, 1], 1f);

        using var factors = LoraBranchFactors.Stack(Target(WeightLayout.Transposed, 10, 2, 1), [(module, 1f)]);

        Assert.Equal(TensorElementType.Float16, factors.Down.GetTensorTypeAndShape().ElementDataType);
        Assert.Equal([(Float16)3f], factors.Up.GetTensorDataAsSpan<Float16>().ToArray());
        Assert.Equal(3 * 2, factors.Bytes);
    }

    [Fact]
    public void Stack_AnUpdateOfAnotherShape_IsAMismatchNamingBoth()
    {
        var module = Module([1, 2, 3], [1, 3], [1], [1, 1], 1f);

        var error = Assert.Throws<LoraMismatchException>(() => LoraBranchFactors.Stack(Target(WeightLayout.Transposed, 1, 2, 1), [(module, 1f)]));

        Assert.Equal("Module 'm': the update is down [1, 3] and up [1, 1], but the base weight is [2, 1] (stored [in, out]).", error.Message);
    }

    [Fact]
    public void Stack_ABfloat16Weight_IsAMismatch()
    {
        var module = Module([1, 2], [1, 2], [3], [1, 1], 1f);

        Assert.Throws<LoraMismatchException>(() => LoraBranchFactors.Stack(Target(WeightLayout.Transposed, 16, 2, 1), [(module, 1f)]));
    }

    [Fact]
    public void Zero_IsRankOneZeros()
    {
        using var zero = LoraBranchFactors.Zero(Target(WeightLayout.AsTorch, 1, 3, 2));

        Assert.Equal([2L, 1], Shape(zero.Down));
        Assert.Equal([1L, 3], Shape(zero.Up));
        Assert.All(Values(zero.Down).Concat(Values(zero.Up)), v => Assert.Equal(0f, v));
    }
}
