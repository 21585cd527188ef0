using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// The two inputs an adapter set feeds one module's branch (<see cref="LoraBranchGraph"/>): the adapters' down matrices
/// stacked along the rank, and their up matrices scaled by each one's alpha/rank and request weight, so
/// U·D = Σ weight·scale·up·down, the sum of their updates. Laid out as the branch takes them and in the weight's element
/// type (float32 or float16). Host values: a CUDA session copies them to the device when a run binds them.
/// </summary>
public sealed class LoraBranchFactors : IDisposable
{
    private const int OnnxFloat32 = 1;
    private const int OnnxFloat16 = 10;

    private LoraBranchFactors(OrtValue down, OrtValue up, long bytes)
    {
        Down = down;
        Up = up;
        Bytes = bytes;
    }

    public OrtValue Down { get; }

    public OrtValue Up { get; }

    /// <summary>Their host memory.</summary>
    public long Bytes { get; }

    /// <summary>The ONNX element type of <paramref name="target"/>'s weight, which its branch computes in; float32 or float16.</summary>
    public static int ElementTypeOf(LoraTarget target) => target.Weight.DataType is OnnxFloat32 or OnnxFloat16
        ? target.Weight.DataType
        : throw new LoraMismatchException($"Module '{target.ModulePath}': its weight has ONNX data type {target.Weight.DataType}; LoRAs patch float32 and float16 weights.");

    /// <summary>
    /// The factors for <paramref name="modules"/> (adapters of one module, each with its request weight); throws
    /// <see cref="LoraMismatchException"/> when one does not fit the module's weight.
    /// </summary>
    public static LoraBranchFactors Stack(LoraTarget target, IReadOnlyList<(LoraModule Module, float Weight)> modules)
    {
        var (inFeatures, outFeatures, kernel) = (target.InFeatures, target.OutFeatures, target.KernelArea);
        foreach (var (module, _) in modules)
        {
            if (module.Down.Values.Length != module.Rank * inFeatures * kernel || module.Up.Values.Length != outFeatures * module.Rank)
            {
                throw new LoraMismatchException(
                    $"Module '{target.ModulePath}': the update is down [{string.Join(", ", module.Down.Shape)}] and up [{string.Join(", ", module.Up.Shape)}], but the base weight is [{string.Join(", ", target.Weight.Dims)}]{(target.Layout == WeightLayout.Transposed ? " (stored [in, out])" : "")}.");
            }
        }

        var rank = modules.Sum(m => m.Module.Rank);
        var down = new float[rank * inFeatures * kernel];
        var up = new float[outFeatures * rank];
        var offset = 0;
        foreach (var (module, weight) in modules)
        {
            var r = module.Rank;
            var factor = module.Scale * weight;
            if (target.IsConv)
                module.Down.Values.CopyTo(down, offset * inFeatures * kernel); // [rank, in, kh, kw], as stored
            else
            {
                for (var k = 0; k < r; k++)
                {
                    for (var i = 0; i < inFeatures; i++)
                        down[(i * rank) + offset + k] = module.Down.Values[(k * inFeatures) + i]; // [in, rank]
                }
            }

            for (var o = 0; o < outFeatures; o++)
            {
                for (var k = 0; k < r; k++)
                {
                    var value = module.Up.Values[(o * r) + k] * factor;
                    if (target.IsConv)
                        up[(o * rank) + offset + k] = value; // [out, rank, 1, 1]
                    else
                        up[((offset + k) * outFeatures) + o] = value; // [rank, out]
                }
            }

            offset += r;
        }

        return Create(target, down, up, rank);
    }

    /// <summary>Rank-1 zeros: what a branch the set does not use is fed, so it adds nothing.</summary>
    public static LoraBranchFactors Zero(LoraTarget target) =>
        Create(target, new float[target.InFeatures * target.KernelArea], new float[target.OutFeatures], 1);

    private static LoraBranchFactors Create(LoraTarget target, float[] down, float[] up, int rank)
    {
        long[] downShape = target.IsConv ? [rank, target.InFeatures, target.Weight.Dims[2], target.Weight.Dims[3]] : [target.InFeatures, rank];
        long[] upShape = target.IsConv ? [target.OutFeatures, rank, 1, 1] : [rank, target.OutFeatures];
        var half = ElementTypeOf(target) == OnnxFloat16;
        var downValue = Value(down, downShape, half);
        try
        {
            return new LoraBranchFactors(downValue, Value(up, upShape, half), (down.LongLength + up.LongLength) * (half ? 2 : 4));
        }
        catch
        {
            downValue.Dispose();
            throw;
        }
    }

    private static OrtValue Value(float[] values, long[] shape, bool half) => half
        ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(values, v => (Float16)v), shape)
        : OrtValue.CreateTensorValueFromMemory(values, shape);

    public void Dispose()
    {
        Down.Dispose();
        Up.Dispose();
    }
}
