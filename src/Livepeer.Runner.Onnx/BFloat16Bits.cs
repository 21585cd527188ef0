namespace Livepeer.Runner.Onnx;

/// <summary>
/// bfloat16 ↔ float32 on raw bits: a bfloat16 is the upper 16 bits of a float32 (sign, the same 8 exponent bits, 7
/// mantissa bits). Widening appends 16 zero bits and is exact; narrowing rounds to nearest, ties to even, as torch's
/// <c>.to(torch.bfloat16)</c> does, and keeps NaNs NaN (a quiet NaN, so that rounding cannot carry one into infinity).
/// </summary>
public static class BFloat16Bits
{
    private const ushort QuietNaN = 0x7FC0;

    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)(QuietNaN | ((bits >> 16) & 0x8000));
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++)
            destination[i] = FromSingle(source[i]);
    }

    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++)
            destination[i] = ToSingle(source[i]);
    }

    private static void CheckLengths(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"Converting {source} values into a span of {destination}.");
    }
}
