using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>ΔW = scale · up · down, checked against products worked by hand.</summary>
public sealed class LoraDeltaTests
{
    private static LoraModule Module(float[] down, int[] downShape, float[] up, int[] upShape, float scale) =>
        new(LoraComponent.Unet, "m", new LoraMatrix(down, downShape), new LoraMatrix(up, upShape), scale);

    [Fact]
    public void Compute_Linear_IsScaleTimesUpTimesDown()
    {
        // down 2×3 = [[1,2,3],[4,5,6]], up 3×2 = [[1,0],[0,1],[1,1]]: up·down = [[1,2,3],[4,5,6],[5,7,9]]; scale ½.
        var module = Module([1, 2, 3, 4, 5, 6], [2, 3], [1, 0, 0, 1, 1, 1], [3, 2], 0.5f);

        var delta = LoraDelta.Compute(module);

        Assert.Equal([3, 3], delta.Shape);
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 2.5f, 3.5f, 4.5f], delta.Values);
    }

    [Fact]
    public void Compute_MultipliesByTheRequestWeight()
    {
        // rank 1: up [2, -1]ᵀ · down [3, 4] = [[6, 8], [-3, -4]]; scale 2, weight 0.25 ⇒ ×0.5.
        var module = Module([3, 4], [1, 2], [2, -1], [2, 1], 2f);

        Assert.Equal([3f, 4f, -1.5f, -2f], LoraDelta.Compute(module, weight: 0.25f).Values);
    }

    [Fact]
    public void Compute_PointwiseConv_KeepsTheOneByOneKernel()
    {
        // down 2×2×1×1 = [[1,2],[3,4]], up 1×2×1×1 = [1, 10]: up·down = [31, 42]; scale 1.
        var module = Module([1, 2, 3, 4], [2, 2, 1, 1], [1, 10], [1, 2, 1, 1], 1f);

        var delta = LoraDelta.Compute(module);

        Assert.Equal([1, 2, 1, 1], delta.Shape);
        Assert.Equal([31f, 42f], delta.Values);
    }

    [Fact]
    public void Compute_KernelConv_FlattensDownAndTakesItsKernel()
    {
        // down 1×1×2×2 = [1,2,3,4] (rank 1, one input channel, 2×2 kernel), up 2×1×1×1 = [2, -1]:
        // ΔW[0] = 2·down, ΔW[1] = −down, shape 2×1×2×2; scale 1.
        var module = Module([1, 2, 3, 4], [1, 1, 2, 2], [2, -1], [2, 1, 1, 1], 1f);

        var delta = LoraDelta.Compute(module);

        Assert.Equal([2, 1, 2, 2], delta.Shape);
        Assert.Equal([2f, 4f, 6f, 8f, -1f, -2f, -3f, -4f], delta.Values);
    }

    [Fact]
    public void Compute_SumsOverTheRank()
    {
        // rank 2, 3×3 conv on one channel: up [1, 1] adds the two kernels; scale 1.
        var down = Enumerable.Range(1, 18).Select(i => (float)i).ToArray();
        var module = Module(down, [2, 1, 3, 3], [1, 1], [1, 2, 1, 1], 1f);

        var delta = LoraDelta.Compute(module);

        Assert.Equal([1, 1, 3, 3], delta.Shape);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (float)(i + i + 9)), delta.Values);
    }
}
