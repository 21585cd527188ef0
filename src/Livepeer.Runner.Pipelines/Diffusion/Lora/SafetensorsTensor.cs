namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// One tensor's header entry. <see cref="Begin"/> and <see cref="End"/> are absolute file offsets (the header's
/// data_offsets plus the data section's start), already checked to lie inside the file and to match the shape.
/// </summary>
public sealed record SafetensorsTensor(string Name, string Dtype, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    public long ElementCount => Shape.Aggregate(1L, (count, dim) => count * dim);
}

/// <summary>The dtypes the safetensors format names, with their element sizes.</summary>
internal static class SafetensorsDtypes
{
    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    public static bool TryGetSize(string dtype, out int size) => Sizes.TryGetValue(dtype, out size);

    /// <summary>The dtypes <see cref="SafetensorsFile.ReadFloat32"/> converts (what LoRA files carry).</summary>
    public static bool IsFloatConvertible(string dtype) => dtype is "F32" or "F16" or "BF16";
}
