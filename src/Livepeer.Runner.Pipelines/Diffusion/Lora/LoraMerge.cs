using System.Buffers.Binary;
using Livepeer.Runner.Core.Models.Graphs;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// Adds LoRA updates onto a base weight as its initializer lays it out: ΔW (<c>[out, in(, kh, kw)]</c>, torch's order)
/// goes straight onto an <see cref="WeightLayout.AsTorch"/> weight and transposed onto a
/// <see cref="WeightLayout.Transposed"/> one (<c>[in, out]</c>: element (i, o) of the initializer is ΔW[o, i]).
/// </summary>
public static class LoraMerge
{
    /// <summary>ONNX TensorProto data types this merge reads and writes.</summary>
    public const int OnnxFloat32 = 1;

    public const int OnnxFloat16 = 10;

    /// <summary>
    /// Adds <paramref name="delta"/> into <paramref name="weight"/> (the initializer's values in its own order, with
    /// shape <paramref name="dims"/>); throws <see cref="LoraMismatchException"/> when the shapes do not agree.
    /// </summary>
    public static void AddInto(Span<float> weight, IReadOnlyList<long> dims, WeightLayout layout, LoraMatrix delta, string modulePath)
    {
        var expected = layout == WeightLayout.Transposed
            ? [delta.Shape[1], delta.Shape[0]]
            : delta.Shape.Select(d => (long)d).ToArray();
        if (delta.Shape.Count != dims.Count || !dims.SequenceEqual(expected) || weight.Length != delta.Values.Length)
        {
            throw new LoraMismatchException(
                $"Module '{modulePath}': the update is [{string.Join(", ", delta.Shape)}], but the base weight is [{string.Join(", ", dims)}]{(layout == WeightLayout.Transposed ? " (stored [in, out])" : "")}.");
        }

        var values = delta.Values;
        if (layout == WeightLayout.AsTorch)
        {
            for (var i = 0; i < weight.Length; i++)
                weight[i] += values[i];
            return;
        }

        var outFeatures = delta.Shape[0];
        var inFeatures = delta.Shape[1];
        for (var o = 0; o < outFeatures; o++)
        {
            for (var i = 0; i < inFeatures; i++)
                weight[(i * outFeatures) + o] += values[(o * inFeatures) + i];
        }
    }

    /// <summary>The initializer's values as float32, read from where the graph keeps them (float32 or float16).</summary>
    public static float[] ReadFloat32(GraphInitializer weight)
    {
        var elementSize = ElementSize(weight);
        var count = weight.ElementCount;
        var length = weight.Data.Length >= 0 ? weight.Data.Length : count * elementSize;
        if (weight.Data.File is not { } file || length != count * elementSize || count > Array.MaxLength)
            throw new SafetensorsFormatException($"Initializer '{weight.Name}' does not keep its {count} values as raw bytes this runner can read.");

        var bytes = new byte[length];
        using (var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            var read = 0;
            while (read < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), weight.Data.Offset + read);
                if (n == 0)
                    throw new SafetensorsFormatException($"Initializer '{weight.Name}' runs past the end of {Path.GetFileName(file)}.");
                read += n;
            }
        }

        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = weight.DataType == OnnxFloat32
                ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4))
                : (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
        }

        return values;
    }

    /// <summary>Writes <paramref name="values"/> as <paramref name="weight"/>'s raw little-endian bytes (float32 or float16).</summary>
    public static void Write(ReadOnlySpan<float> values, GraphInitializer weight, Span<byte> bytes)
    {
        var elementSize = ElementSize(weight);
        if (bytes.Length != values.Length * elementSize)
            throw new ArgumentException($"Initializer '{weight.Name}' takes {values.Length * elementSize} bytes, not {bytes.Length}.", nameof(bytes));
        for (var i = 0; i < values.Length; i++)
        {
            if (elementSize == 4)
                BinaryPrimitives.WriteSingleLittleEndian(bytes[(i * 4)..], values[i]);
            else
                BinaryPrimitives.WriteHalfLittleEndian(bytes[(i * 2)..], (Half)values[i]);
        }
    }

    /// <summary>Bytes per element of a weight this merge handles; throws for other data types.</summary>
    public static int ElementSize(GraphInitializer weight) => weight.DataType switch
    {
        OnnxFloat32 => 4,
        OnnxFloat16 => 2,
        _ => throw new SafetensorsFormatException($"Initializer '{weight.Name}' has ONNX data type {weight.DataType}; LoRAs patch float32 and float16 weights."),
    };
}
