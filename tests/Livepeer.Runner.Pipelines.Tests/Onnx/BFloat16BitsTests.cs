using Livepeer.Runner.Onnx;

namespace Livepeer.Runner.Pipelines.Tests.Onnx;

/// <summary>bfloat16 conversion by hand-worked bit patterns: the upper half of a float32, rounded to nearest, ties to even.</summary>
public sealed class BFloat16BitsTests
{
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(-0.0f, 0x8000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(float.MaxValue, 0x7F80)] // rounds up past the largest bfloat16, into infinity, as torch does
    public void FromSingle_KeepsTheUpperHalf_Rounded(float value, int expected) =>
        Assert.Equal((ushort)expected, BFloat16Bits.FromSingle(value));

    [Fact]
    public void FromSingle_RoundsHalfwayCasesToEven()
    {
        // 1 + 2⁻⁸ lies halfway between 0x3F80 (1.0) and 0x3F81: the even one wins; 1 + 3·2⁻⁸ between 0x3F81 and 0x3F82.
        Assert.Equal((ushort)0x3F80, BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808000)));
        Assert.Equal((ushort)0x3F82, BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x3F818000)));
        // Just past halfway rounds up; just below, down.
        Assert.Equal((ushort)0x3F81, BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808001)));
        Assert.Equal((ushort)0x3F80, BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x3F807FFF)));
    }

    [Fact]
    public void FromSingle_KeepsNaNsNaN_EvenWhenRoundingWouldCarry()
    {
        var nan = BitConverter.UInt32BitsToSingle(0x7FFFFFFF);
        Assert.True(float.IsNaN(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(nan))));
        Assert.True(float.IsNaN(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(float.NaN))));
    }

    [Fact]
    public void ToSingle_AppendsZeroBits()
    {
        Assert.Equal(3.140625f, BFloat16Bits.ToSingle(0x4049));
        Assert.Equal(1.0f, BFloat16Bits.ToSingle(0x3F80));
    }

    [Fact]
    public void Spans_ConvertEveryValue_AndRefuseMismatchedLengths()
    {
        float[] values = [1f, -2f, 3.140625f];
        var bits = new ushort[3];
        BFloat16Bits.FromSingle(values, bits);
        var back = new float[3];
        BFloat16Bits.ToSingle(bits, back);

        Assert.Equal(values, back);
        Assert.Throws<ArgumentException>(() => BFloat16Bits.ToSingle(bits, new float[2]));
    }
}
